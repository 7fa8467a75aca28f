// Admin's topic operations against a real nats-server with two in-process
// broker groups: topicStatus, updateTopic (zero queues refused), deleteTopic
// (the route stops listing it), and unknown topics as TOPIC_NOT_EXIST with
// the nearest name.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { ErrorCode, RbusError, type RouteData } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";
import { refusal } from "./refusal.js";

interface Ctx {
  c: TestCluster;
  admin: Admin;
  producer: Producer;
}
const test = suite<Ctx>("admin: topics");

test.before(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a", "broker-b"]);
  ctx.admin = new Admin(ctx.c.nc);
  ctx.producer = new Producer(ctx.c.nc);
  await ctx.producer.start();
  await waitUntil("both masters in the cluster table", async () => (await ctx.admin.cluster()).brokers.length === 2);
});
test.after(async (ctx) => {
  await ctx.producer?.close();
  await ctx.c?.stop();
});


test("topicStatus: min and max offset and last store time per queue, per master", async ({ admin, producer }) => {
  await admin.createTopic({ topic: "status-t", queues: 2 });
  await waitUntil("the route lists both groups", async () => (await admin.route("status-t")).queues.length === 2);
  const before = Date.now();
  for (let i = 0; i < 6; i++) await producer.send({ topic: "status-t", body: `m${i}` });
  const rows = await admin.topicStatus("status-t");
  assert.equal(rows.map((r) => r.group), ["broker-a", "broker-b"]);
  const queues = rows.flatMap((r) => r.queues);
  assert.is(queues.length, 4);
  assert.is(queues.reduce((n, q) => n + q.maxOffset - q.minOffset, 0), 6, "every message counted once");
  for (const q of queues) {
    if (q.maxOffset === 0) assert.is(q.lastUpdated, 0, "an empty queue has no last time");
    else assert.ok(q.lastUpdated >= before - 1000 && q.lastUpdated <= Date.now() + 1000, `queue ${q.queueId}: ${q.lastUpdated}`);
  }
});

test("a topic no master has is TOPIC_NOT_EXIST naming the nearest topic", async ({ admin }) => {
  await admin.createTopic({ topic: "payments", queues: 1 });
  const err = await refusal(admin.topicStatus("paymnets"));
  assert.is(err.code, ErrorCode.TOPIC_NOT_EXIST);
  assert.is(err.details?.nearest, "payments");
  assert.match(err.message, /did you mean "payments"/);
  assert.is((await refusal(admin.messagesByKey("paymnets", "k"))).details?.nearest, "payments");
  const del = await refusal(admin.deleteTopic("paymentz"));
  assert.is(del.code, ErrorCode.TOPIC_NOT_EXIST);
  assert.is(del.details?.nearest, "payments");
});

test("zero queues are refused (BAD_REQUEST) and the topic keeps taking sends", async ({ admin, producer }) => {
  await admin.createTopic({ topic: "t2", queues: 2 });
  await waitUntil("the route lists both groups", async () => (await admin.route("t2")).queues.length === 2);
  // what was seen: --queues 0 succeeded, then every send said NO_RESPONDERS with both masters alive
  const zero = await refusal(admin.createTopic({ topic: "t2", queues: 0 }));
  assert.is(zero.code, ErrorCode.BAD_REQUEST);
  assert.match(zero.message, /at least 1 read and 1 write queue/);
  assert.is((await refusal(admin.updateTopic({ topic: "t2", writeQueues: 0 }))).code, ErrorCode.BAD_REQUEST);
  const sent = await producer.send({ topic: "t2", body: "still here" });
  assert.is(sent.status, "SEND_OK");
});

test("updateTopic changes queues and permission, keeping what it is not given", async ({ admin }) => {
  await admin.createTopic({ topic: "upd", queues: 4 });
  const done = await admin.updateTopic({ topic: "upd", readQueues: 8, writeQueues: 6, groups: ["broker-a"] });
  assert.equal(done.map((d) => [d.group, d.readQueues, d.writeQueues, d.perm]), [["broker-a", 8, 6, "rw"]]);
  const ro = await admin.updateTopic({ topic: "upd", perm: "r" });
  assert.equal(ro.map((d) => [d.group, d.readQueues, d.writeQueues, d.perm]).sort(), [["broker-a", 8, 6, "r"], ["broker-b", 4, 4, "r"]]);
});

test("deleteTopic: every master of the route forgets it; the route stops listing it", async ({ c, admin, producer }) => {
  await admin.createTopic({ topic: "doomed", queues: 2 });
  // before the route has it, a producer would send by the template's 4 queues
  await waitUntil("the route lists both groups", async () => (await admin.route("doomed")).queues.length === 2);
  for (let i = 0; i < 4; i++) await producer.send({ topic: "doomed", body: `d${i}` });
  const done = await admin.deleteTopic("doomed");
  assert.equal(done.map((d) => [d.group, d.deleted]).sort(), [["broker-a", true], ["broker-b", true]]);
  assert.ok(done.every((d) => d.queues >= 1), "consume queues removed");
  const topics = await admin.listTopics();
  assert.not.ok(topics.some((t) => t.topic === "doomed"), "no master lists it");
  for (const b of c.brokers) assert.equal(b.store.queueIds("doomed"), [], `${b.group}: no consume queue left`);
  const gone = await waitUntil("the route no longer lists it", async () => {
    try {
      await requestJson<RouteData>(c.nc, "rbus.ns.route", { topic: "doomed" });
      return false;
    } catch (err) {
      return err instanceof RbusError ? err : false;
    }
  });
  assert.is(gone.code, ErrorCode.TOPIC_NOT_EXIST);
  const again = await admin.topicStatus("doomed").catch((e: RbusError) => e);
  assert.ok(again instanceof RbusError && again.code === ErrorCode.TOPIC_NOT_EXIST);
});

test("the template topic is not deleted", async ({ admin }) => {
  assert.is((await refusal(admin.deleteTopic("TBW102"))).code, ErrorCode.BAD_REQUEST);
});

test.run();
