// mqadmin's everyday commands in their rbus form, as processes against a
// cluster of two broker groups: topicStatus, updateTopic, deleteTopic,
// queryMsgByOffset, printMsg, consumerConnection, consumerProgress (with
// owners), resetOffsetByTime, updateSubGroup.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { PullConsumer } from "../../src/client/pull-consumer.js";
import { runRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";
import { startConsumerCluster, type ConsumerCluster } from "../client/consumer-cluster.js";

interface Ctx {
  cluster: ConsumerCluster;
  consumer: PullConsumer;
}
const test = suite<Ctx>("rbus mqadmin commands");

test.before(async (ctx) => {
  ctx.cluster = await startConsumerCluster();
  const queues = await ctx.cluster.createTopic("orders", 2);
  await ctx.cluster.send("orders", queues, 40);
  ctx.consumer = new PullConsumer(ctx.cluster.nc, { group: "billing", clientId: "billing-1", heartbeatMs: 200 }).subscribe("orders", "*");
  await ctx.consumer.start();
});
test.after(async (ctx) => {
  await ctx.consumer?.close();
  await ctx.cluster.stop();
});

const rbus = async (ctx: Ctx, args: string[], code = 0) => {
  const r = await runRbus([...args, "--nats", ctx.cluster.server.url]);
  assert.is(r.code, code, `rbus ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  return r;
};
const json = async <T>(ctx: Ctx, args: string[]): Promise<T> => JSON.parse((await rbus(ctx, [...args, "--json"])).stdout) as T;

test("topic status: min and max offset of every queue, per broker group", async (ctx) => {
  const status = await json<Array<{ group: string; queues: Array<{ maxOffset: number }> }>>(ctx, ["topic", "status", "orders"]);
  assert.equal(status.map((s) => s.group), ["broker-a", "broker-b"]);
  assert.is(status.flatMap((s) => s.queues).reduce((n, q) => n + q.maxOffset, 0), 40);
  const table = await rbus(ctx, ["topic", "status", "orders"]);
  assert.match(table.stdout, /BROKER\s+QUEUE\s+MIN OFFSET\s+MAX OFFSET\s+LAST UPDATED\nbroker-a\s+0\s+0\s+10\s+\d{4}-/);
});

test("topic update changes queues or permission; delete removes the topic", async (ctx) => {
  await ctx.cluster.createTopic("scratch", 2);
  const updated = await json<Array<{ group: string; readQueues: number; perm: string }>>(ctx, ["topic", "update", "--topic", "scratch", "--queues", "3", "--broker-group", "broker-a"]);
  assert.equal(updated.map((u) => [u.group, u.readQueues, u.perm]), [["broker-a", 3, "rw"]]);
  await rbus(ctx, ["topic", "update", "--topic", "scratch", "--queues", "0"], 2);
  const deleted = await json<Array<{ deleted: boolean }>>(ctx, ["topic", "delete", "--topic", "scratch"]);
  assert.ok(deleted.length === 2 && deleted.every((d) => d.deleted));
  await waitUntil("the route is gone", async () => (await runRbus(["route", "scratch", "--nats", ctx.cluster.server.url])).code === 1);
});

test("message by queue offset, one or a range", async (ctx) => {
  const one = await rbus(ctx, ["message", "--topic", "orders", "--broker-group", "broker-a", "--queue", "0", "--offset", "2"]);
  assert.is((JSON.parse(one.stdout) as { queueOffset: number }).queueOffset, 2);
  const range = await rbus(ctx, ["message", "--topic", "orders", "--broker-group", "broker-a", "--queue", "0", "--offset", "2", "--count", "3"]);
  assert.equal(range.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { queueOffset: number }).queueOffset), [2, 3, 4]);
});

test("group members, and progress with the owner of every queue", async (ctx) => {
  const { members } = await json<{ members: Array<{ clientId: string; subscriptions: Array<{ topic: string }> }> }>(ctx, ["group", "members", "billing"]);
  assert.equal(members.map((m) => [m.clientId, m.subscriptions.map((s) => s.topic)]), [["billing-1", ["orders"]]]);
  await waitUntil("billing-1 owns every queue", async () => {
    const p = await json<{ queues: Array<{ owner?: string }> }>(ctx, ["progress", "billing", "--topic", "orders"]);
    return p.queues.length === 4 && p.queues.every((q) => q.owner === "billing-1");
  });
  const table = await rbus(ctx, ["progress", "billing"]);
  assert.match(table.stdout, /TOPIC\s+BROKER\s+QUEUE\s+BROKER OFFSET\s+CONSUMER OFFSET\s+LAG\s+OWNER\norders\s+broker-a\s+0\s+10\s+\S+\s+\d+\s+billing-1/);
  await rbus(ctx, ["group", "members", "bilingg"], 1);
});

test("group reset to first and to last; group config stores settings", async (ctx) => {
  // a group no broker knows cannot be reset: config makes it known
  const unknown = await rbus(ctx, ["group", "reset", "audit", "--topic", "orders", "--to", "first"], 1);
  assert.match(unknown.stderr, /GROUP_NOT_EXIST: consumer group "audit" is not known/);
  const stored = await json<Array<{ group: string; retryMaxTimes: number }>>(ctx, ["group", "config", "audit", "--max-retries", "3"]);
  assert.ok(stored.length === 2 && stored.every((s) => s.group === "audit" && s.retryMaxTimes === 3));
  const last = await json<Array<{ queues: Array<{ offset: number }> }>>(ctx, ["group", "reset", "audit", "--topic", "orders", "--to", "last"]);
  assert.is(last.flatMap((r) => r.queues).reduce((n, q) => n + q.offset, 0), 40);
  const list = await json<Array<{ group: string }>>(ctx, ["group", "list"]);
  assert.ok(list.some((g) => g.group === "audit"));
  await rbus(ctx, ["group", "config", "audit", "--enable", "--disable"], 2);
});

test.run();
