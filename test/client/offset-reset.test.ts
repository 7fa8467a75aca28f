// Offset resets under live push consumers (a real nats-server, in-process
// brokers): a position read before the reset, committed after it, does not
// undo it; a member that does not hold a reset queue reads on untouched.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { PushConsumer } from "../../src/client/push-consumer.js";
import { scopedApi, subjects, type OffsetCommitReply } from "../../src/protocol/index.js";
import { connect } from "@nats-io/transport-node";
import { requestJson } from "../../src/runtime/request.js";
import { startTcpProxy } from "../harness/tcp-proxy.js";
import { waitUntil } from "../harness/wait.js";
import { startConsumerCluster, type ConsumerCluster } from "./consumer-cluster.js";

interface Ctx {
  cluster: ConsumerCluster;
  admin: Admin;
  consumers: PushConsumer[];
  release?: () => void;
}
const test = suite<Ctx>("offset reset under live consumers");
const subj = subjects();
const fast = { heartbeatMs: 200, rebalanceMs: 1000, commitIntervalMs: 100, retryMs: 50, handoverMs: 0, pollWaitMs: 300, from: "first" as const };

test.before(async (ctx) => {
  ctx.cluster = await startConsumerCluster(["broker-a"]);
  ctx.admin = new Admin(ctx.cluster.nc);
  ctx.consumers = [];
});
test.after(async (ctx) => {
  ctx.release?.();
  await Promise.all(ctx.consumers.map((c) => c.close()));
  await ctx.cluster?.stop();
});

const committed = async (ctx: Ctx, group: string, topic: string) =>
  (await ctx.admin.consumerProgress(group, topic)).map((q) => q.offset);

test("a commit of a position read before the reset does not move the offset", async (ctx) => {
  const queues = await ctx.cluster.createTopic("slow", 2);
  await ctx.cluster.send("slow", queues, 4); // queue 0: 0 2, queue 1: 1 3
  const seen: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const consumer = new PushConsumer(ctx.cluster.nc, { group: "slow", clientId: "slow-1", ...fast })
    .subscribe("slow")
    .onMessage(async (m) => {
      const body = m.body.toString();
      seen.push(body);
      if (body === "6" && seen.filter((b) => b === "6").length === 1) await gate; // the first time only
    });
  ctx.consumers.push(consumer);
  ctx.release = () => open(); // a failing test still lets the consumer close
  await consumer.start();
  await waitUntil("batch 1 consumed and committed", async () => seen.length === 4 && (await committed(ctx, "slow", "slow")).every((o) => o === 2));
  const at = Math.max(...(await ctx.admin.topicStatus("slow")).flatMap((s) => s.queues.map((q) => q.lastUpdated))) + 1;
  await waitUntil("the clock is past T", () => Date.now() > at);
  await ctx.cluster.send("slow", queues, 4, { from: 4 }); // queue 0: 4 6, queue 1: 5 7
  await waitUntil("6 in the listener, queue 1 committed at its end", async () => seen.includes("6") && seen.includes("7") && (await committed(ctx, "slow", "slow"))[1] === 4);

  const [reply] = await ctx.admin.resetOffset({ group: "slow", topic: "slow", timestamp: at });
  assert.equal(reply!.queues.map((q) => [q.queueId, q.offset]), [[0, 2], [1, 2]]);
  // an older position arriving after the reset, as a commit sent before it or by a member that missed it
  const stale = await requestJson<OffsetCommitReply>(ctx.cluster.nc, subj.broker("broker-a", 0, scopedApi("offset.commit", "slow")), {
    group: "slow", entries: [{ topic: "slow", queueId: 0, offset: 4 }, { topic: "slow", queueId: 1, offset: 4 }],
  });
  assert.is(stale.committed, 0);
  assert.equal(stale.stale?.map((s) => [s.queueId, s.offset]), [[0, 2], [1, 2]]);
  assert.equal(await committed(ctx, "slow", "slow"), [2, 2], "the stale commit moved the offsets");

  await waitUntil("queue 1 read again from the reset", () => seen.filter((b) => b === "5" || b === "7").length === 4);
  open(); // the listener that ran across the reset finishes
  await waitUntil("queue 0 read again from the reset", () => seen.filter((b) => b === "4").length === 2 && seen.filter((b) => b === "6").length === 2);
  await waitUntil("the re-read committed at the end", async () => (await committed(ctx, "slow", "slow")).every((o) => o === 4));
  assert.equal(seen.filter((b) => Number(b) < 4).sort(), ["0", "1", "2", "3"], "batch 1 read again");
  assert.is(seen.length, 12);
});

test("a member that does not hold the reset queue ignores the notice", async (ctx) => {
  const queues = await ctx.cluster.createTopic("split", 2);
  await ctx.cluster.send("split", queues, 6);
  const seen = new Map<string, string[]>();
  const members = ["split-1", "split-2"].map((clientId) => {
    seen.set(clientId, []);
    return new PushConsumer(ctx.cluster.nc, { group: "split", clientId, ...fast }).subscribe("split").onMessage((m) => void seen.get(clientId)!.push(`${m.queueId}:${m.body.toString()}`));
  });
  ctx.consumers.push(...members);
  await Promise.all(members.map((m) => m.start()));
  await waitUntil("each member holds one queue and read it", async () =>
    members.every((m) => m.assignment().length === 1) && [...seen.values()].every((s) => s.length === 3) && (await committed(ctx, "split", "split")).every((o) => o === 3));
  const holder = members.find((m) => m.assignment()[0]!.queueId === 0)!;
  const other = members.find((m) => m !== holder)!;
  const before = [...seen.get(other.clientId)!];

  await ctx.admin.resetOffset({ group: "split", topic: "split", to: "first", queueId: 0 });
  await waitUntil("the holder of queue 0 read it again", () => seen.get(holder.clientId)!.length === 6);
  await ctx.cluster.send("split", queues, 2, { from: 6 }); // one more on each queue: the other member is still reading
  await waitUntil("both read the new messages", () => seen.get(holder.clientId)!.length === 7 && seen.get(other.clientId)!.length === 4);
  assert.equal(seen.get(other.clientId), [...before, "1:7"]);
  assert.equal(seen.get(holder.clientId), ["0:0", "0:2", "0:4", "0:0", "0:2", "0:4", "0:6"]);
});

test("a member that missed the notice has its next commit refused and reads from the reset", async (ctx) => {
  const queues = await ctx.cluster.createTopic("missed", 1);
  await ctx.cluster.send("missed", queues, 3);
  const proxy = await startTcpProxy({ port: ctx.cluster.server.port });
  const nc = await connect({ servers: proxy.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
  const seen: string[] = [];
  // heartbeats far apart: the member is not expired while cut off, so no rebalance re-reads for it
  const consumer = new PushConsumer(nc, { group: "missed", clientId: "missed-1", ...fast, heartbeatMs: 5000 }).subscribe("missed").onMessage((m) => void seen.push(m.body.toString()));
  try {
    await consumer.start();
    await waitUntil("read and committed", async () => seen.length === 3 && (await committed(ctx, "missed", "missed")).every((o) => o === 3));
    proxy.cut("reset");
    await waitUntil("the member is cut off", () => proxy.connections() === 0);
    await ctx.admin.resetOffset({ group: "missed", topic: "missed", to: "first" }); // its notice goes nowhere
    proxy.heal();
    await waitUntil("the member is back", () => proxy.connections() === 1 && !nc.isClosed());
    await ctx.cluster.send("missed", queues, 1, { from: 3 });
    await waitUntil("it read everything again from the reset", () => ["0", "1", "2", "3"].every((b) => seen.filter((x) => x === b).length === 2), { timeoutMs: 10_000 });
    await waitUntil("the re-read committed at the end", async () => (await committed(ctx, "missed", "missed")).every((o) => o === 4));
    assert.equal(seen, ["0", "1", "2", "3", "0", "1", "2", "3"]);
  } finally {
    await consumer.close();
    await nc.close();
    await proxy.stop();
  }
});

test.run();
