// Admin's consumer-group operations against a real nats-server with two
// in-process broker groups and real push consumers: who is connected (host,
// version, subscriptions), which member holds each queue, an unknown group
// as GROUP_NOT_EXIST with the nearest name, offset resets, group settings.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { hostname } from "node:os";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { PushConsumer } from "../../src/client/push-consumer.js";
import { ErrorCode, scopedApi, subjects } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { VERSION } from "../../src/runtime/version.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";
import { refusal } from "./refusal.js";

interface Ctx {
  c: TestCluster;
  admin: Admin;
  producer: Producer;
  consumers: PushConsumer[];
}
const test = suite<Ctx>("admin: consumer groups");
const subj = subjects();

test.before(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a", "broker-b"]);
  ctx.admin = new Admin(ctx.c.nc);
  ctx.producer = new Producer(ctx.c.nc);
  await ctx.producer.start();
  ctx.consumers = [];
  await waitUntil("both masters in the cluster table", async () => (await ctx.admin.cluster()).brokers.length === 2);
  await ctx.admin.createTopic({ topic: "orders", queues: 2 });
  await waitUntil("the route lists both groups", async () => (await ctx.admin.route("orders")).queues.length === 2);
  for (let i = 0; i < 10; i++) await ctx.producer.send({ topic: "orders", body: `o${i}`, tags: i % 2 ? "created" : "paid" });
});
test.after(async (ctx) => {
  await Promise.all((ctx.consumers ?? []).map((c) => c.close()));
  await ctx.producer?.close();
  await ctx.c?.stop();
});


const fast = { heartbeatMs: 200, rebalanceMs: 1000, commitIntervalMs: 100, retryMs: 50, handoverMs: 0, pollWaitMs: 500, from: "first" as const };

test("consumerConnection: each member's client id, host, version, mode and subscriptions", async (ctx) => {
  const { admin } = ctx;
  const members = ["billing-1", "billing-2"].map((clientId) => new PushConsumer(ctx.c.nc, { group: "billing", clientId, ...fast }).subscribe("orders", "created || paid").onMessage(() => {}));
  ctx.consumers.push(...members);
  await Promise.all(members.map((m) => m.start()));
  await waitUntil("both members hold queues", () => members.every((m) => m.assignment().length > 0));
  const conn = await admin.consumerConnection("billing");
  assert.equal(conn.members.map((m) => m.clientId), ["billing-1", "billing-2"]);
  for (const m of conn.members) {
    assert.is(m.host, hostname().replace(/[^\x20-\x7e]/g, "_").slice(0, 128));
    assert.is(m.version, VERSION);
    assert.is(m.mode, "clustering");
    assert.equal(m.subscriptions, [{ topic: "orders", tags: "created || paid" }]);
    assert.equal(m.brokers.sort(), ["broker-a", "broker-b"]);
  }
});

test("consumerProgress names the member that holds each queue", async (ctx) => {
  const { admin } = ctx;
  const [one, two] = ctx.consumers;
  const held = new Map<string, string>();
  for (const m of [one!, two!]) for (const q of m.assignment()) held.set(`${q.group}/${q.queueId}`, m.clientId);
  assert.is(held.size, 4, "four queues over two groups");
  const rows = await waitUntil("every queue's owner reported", async () => {
    const r = await admin.consumerProgress("billing", "orders");
    return r.length === 4 && r.every((q) => q.owner === held.get(`${q.broker}/${q.queueId}`)) ? r : false;
  });
  assert.equal(rows.map((r) => `${r.broker}/${r.queueId}`), ["broker-a/0", "broker-a/1", "broker-b/0", "broker-b/1"]);
  await waitUntil("all consumed and committed", async () => (await admin.consumerProgress("billing")).every((q) => q.lag === 0));
});

test("an unknown group's progress is GROUP_NOT_EXIST with the nearest name, not a table of -1", async ({ admin }) => {
  // what was seen: `rbus progress bilingg --topic orders` printed a full table and total lag 10001, exit 0
  const err = await refusal(admin.consumerProgress("bilingg", "orders"));
  assert.is(err.code, ErrorCode.GROUP_NOT_EXIST);
  assert.is(err.details?.nearest, "billing");
  assert.match(err.message, /did you mean "billing"/);
  assert.is((await refusal(admin.consumerConnection("bilingg"))).details?.nearest, "billing");
  assert.is((await refusal(admin.consumerProgress("zzz-nothing-alike"))).details?.nearest, undefined);
});

test("a known group with a topic no master has: TOPIC_NOT_EXIST with the nearest topic", async ({ admin }) => {
  const err = await refusal(admin.consumerProgress("billing", "ordres"));
  assert.is(err.code, ErrorCode.TOPIC_NOT_EXIST);
  assert.is(err.details?.nearest, "orders");
});

test("resetOffset: to first, to last, to a time; on every master; a typo'd group is refused", async (ctx) => {
  const { admin, c } = ctx;
  await Promise.all(ctx.consumers.splice(0).map((m) => m.close()));
  const first = await admin.resetOffset({ group: "billing", topic: "orders", to: "first" });
  assert.equal(first.map((r) => r.broker), ["broker-a", "broker-b"]);
  assert.ok(first.every((r) => r.queues.every((q) => q.offset === 0) && r.members === 0));
  let rows = await admin.consumerProgress("billing", "orders");
  assert.is(rows.reduce((n, q) => n + q.lag, 0), 10, "every message to read again");
  await admin.resetOffset({ group: "billing", topic: "orders", to: "last" });
  rows = await admin.consumerProgress("billing", "orders");
  assert.ok(rows.every((q) => q.offset === q.maxOffset && q.lag === 0));
  // a time between two sends: each queue goes to its first message stored at or after it
  const mid = Date.now();
  for (let i = 0; i < 4; i++) await ctx.producer.send({ topic: "orders", body: `late${i}`, queueId: 0 }, { group: "broker-a" });
  const byTime = await admin.resetOffset({ group: "billing", topic: "orders", timestamp: mid, brokers: ["broker-a"], queueId: 0 });
  assert.is(byTime.length, 1);
  const q0 = byTime[0]!.queues[0]!;
  const status = (await admin.topicStatus("orders")).find((s) => s.group === "broker-a")!.queues[0]!;
  assert.is(q0.offset, status.maxOffset - 4, "the four sent after the time are to read again");
  assert.is(q0.from, status.maxOffset - 4);
  const typo = await refusal(admin.resetOffset({ group: "biling", topic: "orders", to: "first" }));
  assert.is(typo.code, ErrorCode.GROUP_NOT_EXIST);
  assert.is(typo.details?.nearest, "billing");
  // a group one broker group knows: the others get its offsets too
  await requestJson(c.nc, subj.broker("broker-a", 0, scopedApi("offset.commit", "audit")), { group: "audit", topic: "orders", queueId: 0, offset: 1 });
  const spread = await admin.resetOffset({ group: "audit", topic: "orders", to: "first" });
  assert.equal(spread.map((r) => r.broker), ["broker-a", "broker-b"]);
});

test("updateSubGroup stores settings on every master; consumeEnable false refuses the group's pulls", async ({ admin, c }) => {
  const set = await admin.updateSubGroup({ group: "billing", consumeMode: "broadcasting", retryMaxTimes: 3 });
  assert.equal(set.map((s) => [s.broker, s.consumeMode, s.retryMaxTimes, s.consumeEnable]), [["broker-a", "broadcasting", 3, true], ["broker-b", "broadcasting", 3, true]].sort());
  const off = await admin.updateSubGroup({ group: "billing", consumeEnable: false });
  assert.ok(off.every((s) => s.consumeMode === "broadcasting" && s.retryMaxTimes === 3 && !s.consumeEnable), "fields not given are kept");
  const pull = await refusal(requestJson(c.nc, subj.broker("broker-a", 0, "pull"), { group: "billing", topic: "orders", queueId: 0, offset: 0 }));
  assert.is(pull.code, ErrorCode.NO_PERMISSION);
  await admin.updateSubGroup({ group: "billing", consumeEnable: true });
  const listed = await admin.subGroups("billing");
  assert.equal(listed.map((g) => [g.broker, g.consumeEnable]), [["broker-a", true], ["broker-b", true]]);
  assert.is((await refusal(admin.subGroups("billng"))).details?.nearest, "billing");
  const stored = await c.brokers[0]!.store.subgroups.get("billing");
  assert.is(stored?.consumeMode, "broadcasting");
});

test.run();
