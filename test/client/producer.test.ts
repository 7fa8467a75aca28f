// The producer against a real nats-server, an in-process NameServer and real
// brokers. Failures come from a broker killed without unregistering (its
// connection closed: NO_RESPONDERS) and from a fake group that the
// NameServer lists but that hangs or refuses (TIMEOUT, error codes).
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Producer, selectByKey, type ProducerOptions } from "../../src/client/producer.js";
import {
  decodeJson,
  ErrorCode,
  RbusError,
  subjects,
  type RouteData,
  type SendResult,
} from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";
import { countRequests, createTopic, fakeGroup, groupOf, storedBody, where } from "./producer-cluster.js";

const subj = subjects();

interface Ctx {
  c: TestCluster;
  producers: Producer[];
  extra: NatsConnection[];
}
const test = suite<Ctx>("Producer");

test.before.each(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a", "broker-b"]);
  ctx.producers = [];
  ctx.extra = [];
});
test.after.each(async (ctx) => {
  for (const p of ctx.producers) await p.close();
  for (const nc of ctx.extra) if (!nc.isClosed()) await nc.close();
  await ctx.c.stop();
});

async function producer(ctx: Ctx, opts: ProducerOptions = {}): Promise<Producer> {
  const p = await new Producer(ctx.c.nc, opts).start();
  ctx.producers.push(p);
  return p;
}

test("send: round-robin over every queue of both groups, via TBW102 for a new topic, then its own route", async (ctx) => {
  const routeAsks = countRequests(ctx.c.nc, subj.ns.route, (d) => (decodeJson(d) as { topic: string }).topic === "orders");
  const p = await producer(ctx);
  const results: SendResult[] = [];
  for (let i = 0; i < 16; i++) results.push(await p.send({ topic: "orders", body: `m${i}`, tags: "TagA", keys: [`k${i}`], properties: { n: String(i) } }));
  const used = new Set(results.map(where));
  assert.equal([...used].sort(), ["broker-a/0", "broker-a/1", "broker-a/2", "broker-a/3", "broker-b/0", "broker-b/1", "broker-b/2", "broker-b/3"]);
  assert.ok(results.every((r) => r.status === "SEND_OK" && r.topic === "orders"));
  for (let i = 0; i < 16; i++) assert.is(storedBody(ctx, "orders", results[i]!), `m${i}`);
  const stored = ctx.c.brokers.find((b) => b.group === groupOf(results[3]!))!.store.get("orders", results[3]!.queueId, results[3]!.queueOffset, 1).messages[0]!;
  assert.equal([stored.tags, stored.keys, stored.properties], ["TagA", "k3", { n: "3" }]);
  await waitUntil("the real route fetched after the first send", () => routeAsks() >= 2);
});

test("sendAsync: 10 000 messages in far fewer send.batch requests; results in order, each with its queue offset", async (ctx) => {
  await createTopic(ctx, "bulk", ["broker-a", "broker-b"]);
  const batches = countRequests(ctx.c.nc, "rbus.broker.*.0.send.batch");
  const singles = countRequests(ctx.c.nc, "rbus.broker.*.0.send");
  const p = await producer(ctx);
  const n = 10_000;
  const ps: Array<Promise<SendResult>> = [];
  for (let i = 0; i < n; i++) ps.push(p.sendAsync({ topic: "bulk", body: `m${i}` }));
  const results = await Promise.all(ps);
  await ctx.c.nc.flush();
  assert.ok(batches() <= n / 50, `${batches()} send.batch requests for ${n} messages`);
  assert.is(singles(), 0);
  const next = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = results[i]!;
    const q = where(r);
    assert.is(r.queueOffset, next.get(q) ?? 0, `message ${i} has the next offset of ${q}`);
    next.set(q, r.queueOffset + 1);
  }
  assert.is(next.size, 8, "every queue of both groups");
  for (let i = 0; i < n; i += 97) assert.is(storedBody(ctx, "bulk", results[i]!), `m${i}`);
});

test("backpressure: writable turns false at maxQueuedMessages, even while the first route loads", async (ctx) => {
  await createTopic(ctx, "bp", ["broker-a", "broker-b"]);
  const p = await producer(ctx, { batch: { maxQueuedMessages: 500 } });
  const ps: Array<Promise<SendResult>> = [];
  while (p.writable) ps.push(p.sendAsync({ topic: "bp", body: `m${ps.length}` }));
  assert.is(ps.length, 500, "no route yet, yet the limit holds");
  for (let round = 0; round < 10; round++) {
    await p.waitWritable();
    while (p.writable) ps.push(p.sendAsync({ topic: "bp", body: `m${ps.length}` }));
    assert.ok(p.stats().batcher!.queued <= 500);
  }
  const results = await Promise.all(ps);
  assert.ok(results.length > 500);
  for (let i = 0; i < results.length; i += 101) assert.is(storedBody(ctx, "bp", results[i]!), `m${i}`);
});

test("a group whose master dies is retried on the other group, then kept out by the fault table", async (ctx) => {
  await ctx.c.brokers.find((b) => b.group === "broker-a")!.stop();
  ctx.c.brokers.splice(ctx.c.brokers.findIndex((b) => b.group === "broker-a"), 1);
  const ncA = await connect({ servers: ctx.c.server.url });
  ctx.extra.push(ncA);
  const a = await ctx.c.addBroker("broker-a", { nc: ncA, dataDir: `${ctx.c.dir}/broker-a2` });
  await createTopic(ctx, "orders", ["broker-a", "broker-b"]);
  const p = await producer(ctx);
  const before = await Promise.all(Array.from({ length: 8 }, (_, i) => p.send({ topic: "orders", body: `w${i}` })));
  assert.equal(new Set(before.map(groupOf)).size, 2);

  // kill -9: the connection goes, nothing unregisters; the NameServer still lists broker-a.
  await ncA.close();
  ctx.c.brokers.splice(ctx.c.brokers.indexOf(a), 1);
  await a.stop().catch(() => undefined);

  const after: SendResult[] = [];
  for (let i = 0; i < 8; i++) after.push(await p.send({ topic: "orders", body: `x${i}` }));
  assert.ok(after.every((r) => groupOf(r) === "broker-b"), "every send landed on broker-b");
  assert.ok("broker-a" in p.stats().faults, "broker-a is in the fault table");
  const started = Date.now();
  const async = await Promise.all(Array.from({ length: 2000 }, (_, i) => p.sendAsync({ topic: "orders", body: `y${i}` })));
  assert.ok(async.every((r) => groupOf(r) === "broker-b"));
  assert.ok(Date.now() - started < 2000, "no send waits on the dead group");
});

test("a hung master: TIMEOUT, retried elsewhere, kept out; sync and batched sends all land", async (ctx) => {
  await createTopic(ctx, "orders", ["broker-a"]);
  const hung = await fakeGroup(ctx.c.nc, "broker-h", "orders", "hang");
  await waitUntil("broker-h in the route", async () => (await requestJson<RouteData>(ctx.c.nc, subj.ns.route, { topic: "orders" })).queues.length === 2);
  const p = await producer(ctx, { sendTimeoutMs: 300 });
  const sync: SendResult[] = [];
  for (let i = 0; i < 8; i++) sync.push(await p.send({ topic: "orders", body: `s${i}` }));
  assert.ok(sync.every((r) => groupOf(r) === "broker-a"));
  assert.is(hung.requests(), 1, "one attempt on the hung group, then the fault table keeps it out");

  const q = new Producer(ctx.c.nc, { sendTimeoutMs: 300, batch: { maxMessages: 50 } });
  await q.start();
  ctx.producers.push(q);
  const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => q.sendAsync({ topic: "orders", body: `b${i}` })));
  assert.ok(results.every((r) => groupOf(r) === "broker-a"), "batches sent to the hung group moved to broker-a");
  for (let i = 0; i < 1000; i += 37) assert.is(storedBody(ctx, "orders", results[i]!), `b${i}`);
  assert.ok(hung.requests() > 1);
});

test("BROKER_BUSY is retried on another group; NO_PERMISSION and BAD_REQUEST are not retried", async (ctx) => {
  await createTopic(ctx, "orders", ["broker-a"]);
  const busy = await fakeGroup(ctx.c.nc, "broker-x", "orders", ErrorCode.BROKER_BUSY);
  await fakeGroup(ctx.c.nc, "broker-y", "forbidden", ErrorCode.NO_PERMISSION);
  await waitUntil("routes", async () => (await requestJson<RouteData>(ctx.c.nc, subj.ns.route, { topic: "orders" })).queues.length === 2);
  const p = await producer(ctx);
  for (let i = 0; i < 8; i++) assert.is(groupOf(await p.send({ topic: "orders", body: "x" })), "broker-a");
  assert.is(busy.requests(), 1);

  const err = await p.send({ topic: "forbidden", body: "x" }).catch((e: RbusError) => e);
  assert.instance(err, RbusError);
  assert.is((err as RbusError).code, ErrorCode.NO_PERMISSION);
  assert.not.match((err as RbusError).message, /attempts/, "tried once");

  const bad = await p.send({ topic: "orders", body: "x", queueId: 9 }).catch((e: RbusError) => e.code);
  assert.is(bad, ErrorCode.BAD_REQUEST, "a queue the route does not have");
});

test("an oversize message is refused locally with its size; nothing is sent", async (ctx) => {
  const sends = countRequests(ctx.c.nc, "rbus.broker.>");
  const p = await producer(ctx, { maxMessageBytes: 1000 });
  const big = { topic: "orders", body: "x".repeat(990), properties: { trace: "0123456789" } };
  for (const attempt of [() => p.send(big), () => p.sendAsync(big), () => p.sendOneway(big)]) {
    const err = await attempt().then(() => undefined, (e: RbusError) => e);
    assert.is(err?.code, ErrorCode.MESSAGE_TOO_LARGE);
    assert.match(err!.message, "1005 bytes (body 990 + properties 15); the limit is 1000");
  }
  await ctx.c.nc.flush();
  assert.is(sends(), 0);
});

test("selectByKey: a key stays on its queue, for send and sendAsync, in order", async (ctx) => {
  await createTopic(ctx, "ordered", ["broker-a", "broker-b"]);
  const p = await producer(ctx);
  const keys = ["order-1", "order-2", "order-3"];
  const sync = await Promise.all(keys.map((k) => p.send({ topic: "ordered", body: k, keys: k }, { selector: selectByKey })));
  const queueOf = new Map(keys.map((k, i) => [k, where(sync[i]!)]));
  const ps: Array<Promise<SendResult>> = [];
  for (let i = 0; i < 300; i++) ps.push(p.sendAsync({ topic: "ordered", body: `${i}` }, { selector: selectByKey, arg: keys[i % 3] }));
  const results = await Promise.all(ps);
  const last = new Map<string, number>();
  results.forEach((r, i) => {
    const k = keys[i % 3]!;
    assert.is(where(r), queueOf.get(k), `message ${i} on the queue of ${k}`);
    assert.ok(r.queueOffset > (last.get(k) ?? -1), "offsets grow in send order");
    last.set(k, r.queueOffset);
  });
});

test("an ordered send whose queue's group hangs fails on that queue; it is never moved", async (ctx) => {
  await createTopic(ctx, "ordered", ["broker-a"]);
  const hung = await fakeGroup(ctx.c.nc, "broker-h", "ordered", "hang");
  await waitUntil("broker-h in the route", async () => (await requestJson<RouteData>(ctx.c.nc, subj.ns.route, { topic: "ordered" })).queues.length === 2);
  const p = await producer(ctx, { sendTimeoutMs: 200, retries: 2 });
  const toHung = (queues: readonly { group: string; queueId: number; topic: string }[]) => queues.find((q) => q.group === "broker-h" && q.queueId === 2)!;
  const err = await p.send({ topic: "ordered", body: "x" }, { selector: toHung }).catch((e: RbusError) => e);
  assert.is((err as RbusError).code, ErrorCode.TIMEOUT);
  assert.match((err as RbusError).message, "3 attempts: broker-h, broker-h, broker-h");
  assert.is(hung.requests(), 3);
  const errs = await Promise.all([1, 2].map(() => p.sendAsync({ topic: "ordered", body: "y", queueId: 2 }, { group: "broker-h" }).catch((e: RbusError) => e.code)));
  assert.equal(errs, [ErrorCode.TIMEOUT, ErrorCode.TIMEOUT]);
});

test("sendOneway publishes without waiting; the broker stores it", async (ctx) => {
  await createTopic(ctx, "oneway", ["broker-a", "broker-b"]);
  const p = await producer(ctx);
  for (let i = 0; i < 10; i++) await p.sendOneway({ topic: "oneway", body: `o${i}` });
  const count = () => ctx.c.brokers.reduce((n, b) => n + [0, 1, 2, 3].reduce((m, q) => m + b.store.get("oneway", q, 0, 100).messages.length, 0), 0);
  await waitUntil("10 one-way messages stored", () => count() === 10);
});

test("close() sends what sendAsync holds and waits for the answers; later sends are refused", async (ctx) => {
  const p = await producer(ctx, { batch: { lingerMs: 60_000 } });
  await createTopic(ctx, "orders", ["broker-a", "broker-b"]);
  const ps = Array.from({ length: 10 }, (_, i) => p.sendAsync({ topic: "orders", body: `c${i}` }));
  await p.close();
  assert.is((await Promise.all(ps)).length, 10);
  await p.sendAsync({ topic: "orders", body: "late" }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, "closed"),
  );
});

test.run();

const noAuto = suite<{ c: TestCluster }>("Producer without auto-created topics");
noAuto.before(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a"], { broker: { autoCreateTopic: false } });
});
noAuto.after(async (ctx) => {
  await ctx.c.stop();
});

noAuto("an unknown topic is TOPIC_NOT_EXIST, said plainly, and not retried", async ({ c }) => {
  const p = await new Producer(c.nc).start();
  const err = await p.send({ topic: "nope", body: "x" }).catch((e: RbusError) => e);
  assert.is((err as RbusError).code, ErrorCode.TOPIC_NOT_EXIST);
  assert.match((err as RbusError).message, 'no route for topic "nope"');
  assert.is(await p.sendAsync({ topic: "nope", body: "x" }).catch((e: RbusError) => e.code), ErrorCode.TOPIC_NOT_EXIST);
  await p.close();
});

noAuto.run();
