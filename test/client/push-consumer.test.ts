// PushConsumer against a real nats-server, NameServer and two broker groups.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect } from "@nats-io/transport-node";
import { PushConsumer, type ConsumedMessage, type PushConsumerOptions } from "../../src/client/push-consumer.js";
import { queueKey, type MessageQueue } from "../../src/client/route-cache.js";
import { subjects, type OffsetQueryReply } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { waitUntil } from "../harness/wait.js";
import { Received, startConsumerCluster, type ConsumerCluster } from "./consumer-cluster.js";

interface Ctx {
  cluster: ConsumerCluster;
  consumers: PushConsumer[];
}
const test = suite<Ctx>("push consumer");

test.before(async (ctx) => {
  ctx.cluster = await startConsumerCluster();
});
test.after(async (ctx) => {
  await ctx.cluster.stop();
});
test.before.each((ctx) => {
  ctx.consumers = [];
});
test.after.each(async (ctx) => {
  await Promise.all(ctx.consumers.map((c) => c.close()));
});

/** Short timings so that rebalances and commits happen within a test. */
const fast: Omit<PushConsumerOptions, "group"> = {
  pollWaitMs: 2000,
  heartbeatMs: 300,
  rebalanceMs: 2000,
  commitIntervalMs: 200,
  retryMs: 50,
  handoverMs: 300,
  from: "first",
};

function consumer(ctx: Ctx, topic: string, group: string, onMessage: (m: ConsumedMessage) => void | Promise<void>, opts: Partial<PushConsumerOptions> = {}) {
  const c = new PushConsumer(ctx.cluster.nc, { group, ...fast, ...opts }).subscribe(topic, opts.mode === "broadcasting" ? "*" : "*").onMessage(onMessage);
  ctx.consumers.push(c);
  return c;
}

/** Every queue owned by exactly one member. */
function assertPartition(consumers: PushConsumer[], queues: MessageQueue[]): boolean {
  const owned = consumers.flatMap((c) => c.assignment().map(queueKey)).sort();
  return owned.length === queues.length && owned.join() === queues.map(queueKey).sort().join();
}

test("3 members, 2 broker groups x 4 queues: 10 000 messages exactly once, in order within each queue", async (ctx) => {
  const topic = "happy";
  const queues = await ctx.cluster.createTopic(topic);
  const got = new Received();
  const members = [0, 1, 2].map((i) => consumer(ctx, topic, "g-happy", (m) => got.record(m), { clientId: `m${i}` }));
  await Promise.all(members.map((c) => c.start()));
  await waitUntil("queues partitioned among 3 members", () => assertPartition(members, queues));
  assert.equal(members.map((c) => c.assignment().length).sort(), [2, 3, 3]);

  await ctx.cluster.send(topic, queues, 10_000);
  await waitUntil("10 000 received", () => got.count >= 10_000, { timeoutMs: 30_000 });
  await Promise.all(members.map((c) => c.close())); // nothing more can arrive once they have left
  assert.is(got.count, 10_000, `duplicates: ${got.duplicates()}`);
  assert.equal(got.missing(10_000), []);
  assert.equal(got.outOfOrder, []);

  // Offsets are committed: every queue's committed offset reaches its end.
  await waitUntil("offsets committed", async () => {
    for (const group of ["broker-a", "broker-b"]) {
      const r = await requestJson<OffsetQueryReply>(ctx.cluster.nc, subjects().broker(group, 0, "offset.query"), { group: "g-happy", topic });
      if (!r.queues.every((q) => q.offset === q.maxOffset)) return false;
    }
    return true;
  });
});

test("a member leaving mid-stream: its queues are reassigned, nothing is lost", async (ctx) => {
  const topic = "leave";
  const queues = await ctx.cluster.createTopic(topic);
  const got = new Received();
  const slow = async (m: ConsumedMessage) => {
    got.record(m);
    if (m.queueOffset % 50 === 0) await new Promise((r) => setTimeout(r, 1));
  };
  const members = [0, 1, 2].map((i) => consumer(ctx, topic, "g-leave", slow, { clientId: `m${i}` }));
  await Promise.all(members.map((c) => c.start()));
  await waitUntil("partitioned", () => assertPartition(members, queues));

  const sending = ctx.cluster.send(topic, queues, 10_000, { batch: 20 });
  await waitUntil("a third received", () => got.count >= 3_000, { timeoutMs: 20_000 });
  const leaver = members[1]!;
  await leaver.close();
  ctx.consumers = ctx.consumers.filter((c) => c !== leaver);
  await waitUntil("remaining two own every queue", () => assertPartition([members[0]!, members[2]!], queues));
  await sending;
  await waitUntil("every message received", () => got.missing(10_000).length === 0, { timeoutMs: 30_000 });
  console.log(`    clean leave: ${got.count} deliveries, ${got.duplicates()} duplicates`);
  assert.equal(got.missing(10_000), []);
  assert.is(got.duplicates(), 0, "a clean leave commits before its queues move");
});

test("a member that dies (no goodbye): its queues move after its heartbeat expires, nothing is lost", async (ctx) => {
  const topic = "crash";
  const queues = await ctx.cluster.createTopic(topic);
  const got = new Received();
  const nc2 = await connect({ servers: ctx.cluster.server.url });
  const doomed = new PushConsumer(nc2, { group: "g-crash", ...fast, clientId: "doomed", commitIntervalMs: 5_000 })
    .subscribe(topic)
    .onMessage((m) => got.record(m));
  const members = [0, 1].map((i) => consumer(ctx, topic, "g-crash", (m) => got.record(m), { clientId: `m${i}` }));
  await Promise.all([...members, doomed].map((c) => c.start()));
  await waitUntil("partitioned among 3", () => assertPartition([...members, doomed], queues));

  await ctx.cluster.send(topic, queues, 3_000);
  await waitUntil("received", () => got.distinct() >= 3_000, { timeoutMs: 20_000 });
  await nc2.close(); // the process is gone: no release, no commit, no unregister
  await waitUntil("survivors own every queue", () => assertPartition(members, queues), { timeoutMs: 10_000 });
  await ctx.cluster.send(topic, queues, 1_000, { from: 3_000 });
  await waitUntil("every message received", () => got.missing(4_000).length === 0, { timeoutMs: 20_000 });
  console.log(`    crash: ${got.count} deliveries, ${got.duplicates()} duplicates (uncommitted at the crash)`);
  assert.equal(got.missing(4_000), []);
});

test("broadcasting: every member sees every message", async (ctx) => {
  const topic = "bcast";
  const queues = await ctx.cluster.createTopic(topic);
  const seen = [new Received(), new Received(), new Received()];
  const members = seen.map((r, i) => consumer(ctx, topic, "g-bcast", (m) => r.record(m), { mode: "broadcasting", clientId: `b${i}` }));
  await Promise.all(members.map((c) => c.start()));
  for (const c of members) assert.is(c.assignment().length, 8, "every member reads every queue");
  await ctx.cluster.send(topic, queues, 2_000);
  await waitUntil("each received all", () => seen.every((r) => r.distinct() === 2_000), { timeoutMs: 20_000 });
  for (const r of seen) {
    assert.is(r.duplicates(), 0);
    assert.equal(r.outOfOrder, []);
  }
  // Offsets stay local: the broker has none for the group.
  const r = await requestJson<OffsetQueryReply>(ctx.cluster.nc, subjects().broker("broker-a", 0, "offset.query"), { group: "g-bcast", topic });
  assert.ok(r.queues.every((q) => q.offset === -1));
});

test("start from first reads what was sent before; from last only what comes after", async (ctx) => {
  const topic = "fromwhere";
  const queues = await ctx.cluster.createTopic(topic);
  await ctx.cluster.send(topic, queues, 400);
  const first = new Received();
  const last = new Received();
  const a = consumer(ctx, topic, "g-first", (m) => first.record(m), { from: "first" });
  const b = consumer(ctx, topic, "g-last", (m) => last.record(m), { from: "last" });
  await Promise.all([a.start(), b.start()]);
  await waitUntil("first read the backlog", () => first.distinct() === 400);
  // "last" must know where the end is before new messages come: a held
  // pull is one that asked from the end, so wait until all 16 queues of
  // both consumers are held on the brokers.
  const held = async () => {
    let n = 0;
    for (const b of ctx.cluster.brokers) {
      n += (await requestJson<{ pullsHeld: number }>(ctx.cluster.nc, subjects().broker(b.group, 0, "status"), {})).pullsHeld;
    }
    return n;
  };
  await waitUntil("both consumers long-polling every queue from its end", async () => (await held()) === 16);
  await ctx.cluster.send(topic, queues, 100, { from: 400 });
  await waitUntil("both got the new ones", () => first.distinct() === 500 && last.distinct() === 100);
  assert.ok(last.bodies.every((n) => n >= 400), "from last skips the backlog");
});

test("start from a timestamp", async (ctx) => {
  const topic = "fromtime";
  const queues = await ctx.cluster.createTopic(topic);
  await ctx.cluster.send(topic, queues, 80);
  const sentBefore = Date.now();
  const at = await waitUntil("the clock to pass the first sends", () => Date.now() > sentBefore && Date.now());
  await waitUntil("the clock to pass the timestamp", () => Date.now() > at);
  await ctx.cluster.send(topic, queues, 80, { from: 80 });
  const got = new Received();
  const c = consumer(ctx, topic, "g-time", (m) => got.record(m), { from: { timestamp: at } });
  await c.start();
  await waitUntil("got the later ones", () => got.distinct() === 80);
  assert.ok(got.bodies.every((n) => n >= 80));
});

test("a restarted group continues from its committed offsets", async (ctx) => {
  const topic = "restart";
  const queues = await ctx.cluster.createTopic(topic);
  await ctx.cluster.send(topic, queues, 500);
  const got = new Received();
  const a = consumer(ctx, topic, "g-restart", (m) => got.record(m));
  await a.start();
  await waitUntil("first 500", () => got.distinct() === 500);
  await a.close();
  ctx.consumers = [];
  await ctx.cluster.send(topic, queues, 300, { from: 500 });
  const b = consumer(ctx, topic, "g-restart", (m) => got.record(m));
  await b.start();
  await waitUntil("the next 300", () => got.distinct() === 800);
  await b.close(); // nothing more can arrive
  assert.is(got.duplicates(), 0);
});

test("tags: the subscription expression filters, exactly", async (ctx) => {
  const topic = "tagged";
  const queues = await ctx.cluster.createTopic(topic);
  const got: ConsumedMessage[] = [];
  const c = new PushConsumer(ctx.cluster.nc, { group: "g-tags", ...fast }).subscribe(topic, "a || c").onMessage((m) => void got.push(m));
  ctx.consumers.push(c);
  await c.start();
  const tags = ["a", "b", "c", "d"];
  await ctx.cluster.send(topic, queues, 400, { tag: (i) => tags[i % 4]! });
  await waitUntil("a and c", () => got.length === 200);
  await c.close(); // nothing more can arrive
  assert.is(got.length, 200);
  assert.ok(got.every((m) => m.tags === "a" || m.tags === "c"));
});

test("a failing listener whose message cannot be handed back is retried in place: order holds and the offset waits", async (ctx) => {
  const topic = "retry";
  const [q] = await ctx.cluster.createTopic(topic, 1);
  const order: number[] = [];
  let failures = 0;
  const c = consumer(ctx, topic, "g-retry", (m) => {
    const n = Number(m.body.toString());
    if (n === 5 && failures < 3) {
      failures++;
      throw new Error("not yet");
    }
    order.push(n);
  });
  // the broker does not take it back (its master unreachable, say): the consumer keeps it (test/retries has the hand-back itself)
  let handBacks = 0;
  const brokers = (c as unknown as { brokers: { sendBack: () => Promise<never> } }).brokers;
  brokers.sendBack = () => {
    handBacks++;
    return Promise.reject(new Error("no master answers"));
  };
  await c.start();
  await ctx.cluster.send(topic, [q!], 10);
  await waitUntil("all 10", () => order.length === 10);
  assert.equal(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.is(failures, 3);
  assert.is(handBacks, 3, "each failure tried the hand-back first");
});

test("flow control: a slow listener stops pulling at maxBufferedPerQueue", async (ctx) => {
  const topic = "flow";
  const [q] = await ctx.cluster.createTopic(topic, 1);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let n = 0;
  const c = consumer(ctx, topic, "g-flow", async () => {
    n++;
    await gate;
  }, { maxBufferedPerQueue: 50, pullBatch: 10 });
  await c.start();
  await ctx.cluster.send(topic, [q!], 500);
  await waitUntil("first delivered", () => n === 1);
  const buffered = () => (c as unknown as { queues: Map<string, { buffered: number }> }).queues.get(queueKey(q!))!.buffered;
  await waitUntil("the buffer filled to its limit", () => buffered() >= 50);
  assert.ok(buffered() < 60, `pulling stops at the limit (at most one pull of 10 past it): buffered ${buffered()}`);
  release();
  await waitUntil("all delivered", () => n === 500);
});

test.run();
