// Batches per broker group and sendBatch, against a real nats-server, an
// in-process NameServer and real brokers: one RBB2 request carries every
// topic bound for a group; sendBatch stores all of its messages, in order,
// on one queue, or is refused before anything is sent; a group that refuses
// loses its batches to a working group, each message stored there once.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Producer, type ProducerOptions, type SendBatchResult } from "../../src/client/producer.js";
import { ErrorCode, RbusError, type SendResult } from "../../src/protocol/index.js";
import { walkRecordBatch } from "../../src/protocol/record-batch-walk.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { countRequests, createTopic, fakeGroup, groupOf, storedBody, where } from "./producer-cluster.js";

interface Ctx {
  c: TestCluster;
  producers: Producer[];
}
const test = suite<Ctx>("Producer: batches per group, sendBatch");

test.before.each(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a", "broker-b"]);
  ctx.producers = [];
});
test.after.each(async (ctx) => {
  for (const p of ctx.producers) await p.close();
  await ctx.c.stop();
});

async function producer(ctx: Ctx, opts: ProducerOptions = {}): Promise<Producer> {
  const p = await new Producer(ctx.c.nc, { batchWire: "RBB2", ...opts }).start();
  ctx.producers.push(p);
  return p;
}

/** Every body stored in a topic's queues on one broker, in queue order. */
function storedBodies(ctx: Ctx, group: string, topic: string): string[] {
  const store = ctx.c.brokers.find((b) => b.group === group)!.store;
  const out: string[] = [];
  for (let q = 0; q < 4; q++) for (const m of store.get(topic, q, 0, 100_000).messages) out.push(m.body.toString());
  return out;
}

/** Each (topic, group, queue) gets consecutive offsets in the order the messages were sent. */
function assertQueueOrder(results: SendResult[]): void {
  const next = new Map<string, number>();
  results.forEach((r, i) => {
    const q = `${r.topic}@${where(r)}`;
    assert.is(r.queueOffset, next.get(q) ?? r.queueOffset, `message ${i} has the next offset of ${q}`);
    next.set(q, r.queueOffset + 1);
  });
}

test("one send.batch carries every topic bound for a group; order per queue holds", async (ctx) => {
  const topics = Array.from({ length: 10 }, (_, i) => `t${i}`);
  for (const t of topics) await createTopic(ctx, t, ["broker-a"]);
  const payloads: Uint8Array[] = [];
  ctx.c.nc.subscribe("rbus.broker.*.0.send.batch", { callback: (_, m) => void payloads.push(m.data) });
  const p = await producer(ctx);
  for (const t of topics) await p.send({ topic: t, body: "route" }); // every route cached: the burst below takes the fast path
  const n = 2000;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => p.sendAsync({ topic: topics[i % 10]!, body: `m${i}` })));
  await ctx.c.nc.flush();
  assert.is(payloads.length, 2, `${payloads.length} requests for ${n} messages over 10 topics (per topic it takes at least 10)`);
  assert.is(new Set(walkRecordBatch(payloads[0]!).topics).size, 10, "the first request holds all ten topics");
  assert.equal(results.map((r) => r.topic), Array.from({ length: n }, (_, i) => topics[i % 10]));
  assertQueueOrder(results);
  for (let i = 0; i < n; i += 97) assert.is(storedBody(ctx, results[i]!.topic, results[i]!), `m${i}`);
  assert.match(JSON.stringify(results[5]), new RegExp(`"msgId":"${results[5]!.msgId}"`), "JSON shows the lazy msgId");
});

for (const wire of ["RBB1", "RBB2"] as const) {
  test(`sendBatch (${wire}): one request, all on one queue, in order and consecutive, between sendAsync calls`, async (ctx) => {
    await createTopic(ctx, "orders", ["broker-a", "broker-b"]);
    const p = await producer(ctx, { batchWire: wire });
    await p.send({ topic: "orders", body: "route" });
    const batches = countRequests(ctx.c.nc, "rbus.broker.*.0.send.batch");
    const before = Array.from({ length: 300 }, (_, i) => p.sendAsync({ topic: "orders", body: `a${i}` }));
    const batch = p.sendBatch(Array.from({ length: 200 }, (_, i) => ({ topic: "orders", body: `b${i}`, keys: `k${i}` })));
    const after = Array.from({ length: 300 }, (_, i) => p.sendAsync({ topic: "orders", body: `c${i}` }));
    const r: SendBatchResult = await batch;
    await Promise.all([...before, ...after]);
    assert.is(r.status, "SEND_OK");
    assert.is(r.topic, "orders");
    assert.equal(r.queueOffsets, r.queueOffsets.map((_, i) => r.queueOffsets[0]! + i), "consecutive on its queue");
    assert.is(new Set(r.msgIds).size, 200);
    const group = r.group;
    r.queueOffsets.forEach((offset, i) => {
      const one = { status: r.status, msgId: r.msgIds[i]!, topic: "orders", queueId: r.queueId, queueOffset: offset };
      assert.is(groupOf(one), group);
      assert.is(storedBody(ctx, "orders", one), `b${i}`);
    });
    assert.match(JSON.stringify(r), /"msgIds":\["broker-/);
    await ctx.c.nc.flush();
    assert.ok(batches() <= 6, `${batches()} requests`);
  });
}

test("sendBatch is refused before anything is sent: topics that differ, too many bytes, nothing at all", async (ctx) => {
  await createTopic(ctx, "orders", ["broker-a"]);
  const p = await producer(ctx);
  await p.send({ topic: "orders", body: "route" });
  const batches = countRequests(ctx.c.nc, "rbus.broker.*.0.send.batch");
  const code = (x: Promise<unknown>) => x.then(() => "ok", (e: RbusError) => (e instanceof RbusError ? e.code : String(e)));
  assert.is(await code(p.sendBatch([{ topic: "orders", body: "a" }, { topic: "other", body: "b" }])), ErrorCode.BAD_REQUEST);
  assert.is(await code(p.sendBatch([{ topic: "orders", body: "a", queueId: 1 }, { topic: "orders", body: "b" }])), ErrorCode.BAD_REQUEST);
  assert.is(await code(p.sendBatch([])), ErrorCode.BAD_REQUEST);
  const maxPayload = ctx.c.nc.info!.max_payload;
  const big = "x".repeat(Math.floor(0.4 * maxPayload));
  const tooLarge = await p.sendBatch([0, 1, 2].map(() => ({ topic: "orders", body: big }))).catch((e: RbusError) => e);
  assert.instance(tooLarge, RbusError);
  assert.is((tooLarge as RbusError).code, ErrorCode.MESSAGE_TOO_LARGE);
  assert.ok(((tooLarge as RbusError).details as { limit: number }).limit < maxPayload, "the limit is the request's, from max_payload");
  assert.is(await code(p.sendBatch([0, 1].map(() => ({ topic: "orders", body: big })))), "ok", "two fit");
  await ctx.c.nc.flush();
  assert.is(batches(), 1, "only the batch that fits was sent");
  assert.equal(storedBodies(ctx, "broker-a", "orders").length, 3);
});

test("a group that refuses (BROKER_BUSY): its multi-topic batches and a sendBatch move; each message stored once on broker-a", async (ctx) => {
  await createTopic(ctx, "x", ["broker-a"]);
  await createTopic(ctx, "y", ["broker-a"]);
  const busy = await fakeGroup(ctx.c.nc, "broker-z", ["x", "y"], ErrorCode.BROKER_BUSY);
  const p = await producer(ctx, { retryBudgetMs: 5000 });
  await p.send({ topic: "x", body: "route-x" });
  await p.send({ topic: "y", body: "route-y" });
  const n = 600;
  const sends = Array.from({ length: n }, (_, i) => p.sendAsync({ topic: i % 2 ? "y" : "x", body: `m${i}` }));
  const whole = p.sendBatch(Array.from({ length: 50 }, (_, i) => ({ topic: "y", body: `w${i}` })));
  const results = await Promise.all(sends);
  const r = await whole;
  assert.ok(results.every((x) => groupOf(x) === "broker-a"), "every message answered by broker-a");
  assert.is(r.group, "broker-a");
  assert.equal(r.queueOffsets, r.queueOffsets.map((_, i) => r.queueOffsets[0]! + i), "the batch stayed whole on one queue");
  const stored = [...storedBodies(ctx, "broker-a", "x"), ...storedBodies(ctx, "broker-a", "y")].filter((b) => !b.startsWith("route"));
  assert.is(stored.length, n + 50, "each message stored once");
  assert.is(new Set(stored).size, n + 50);
  assert.ok(busy.requests() >= 1, `broker-z was tried (${busy.requests()} requests)`);
});

test("a batch to a refusing group with a topic only it serves: the other topics move, that one fails alone", async (ctx) => {
  await createTopic(ctx, "x", ["broker-a"]);
  await fakeGroup(ctx.c.nc, "broker-z", ["x", "only-z"], ErrorCode.BROKER_BUSY);
  const p = await producer(ctx, { retryBudgetMs: 1500 });
  await p.send({ topic: "x", body: "route-x" });
  await p.sendAsync({ topic: "only-z", body: "route" }).catch(() => undefined);
  const outcome = (x: Promise<SendResult>) => x.then(groupOf, (e: RbusError) => e.code);
  const sends = Array.from({ length: 200 }, (_, i) => outcome(p.sendAsync({ topic: i % 4 === 0 ? "only-z" : "x", body: `m${i}` })));
  const got = await Promise.all(sends);
  got.forEach((g, i) => assert.is(g, i % 4 === 0 ? ErrorCode.BROKER_BUSY : "broker-a", `message ${i}`));
  assert.is(storedBodies(ctx, "broker-a", "x").filter((b) => b.startsWith("m")).length, 150, "each x message stored once");
});

test.run();
