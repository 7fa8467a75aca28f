// What depends on a consumer group is in the subject, and each consumer
// user may use only its own group's: billing cannot commit audit's offsets
// nor join audit with ghost heartbeats (a permissions violation), and a
// payload naming audit on billing's own subject is refused by the broker
// (FORBIDDEN). Only admin creates or changes topics. Audit's real member
// keeps its queues and its offsets throughout.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { PullConsumer, type ConsumedMessage } from "../../src/client/pull-consumer.js";
import { ErrorCode, RbusError, scopedApi, subjects, type OffsetQueryReply, type TopicConfig } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { refusedByNats, startSecureCluster, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const brokerA = (api: Parameters<typeof subj.broker>[2]) => subj.broker("broker-a", 0, api);

interface Ctx {
  cluster: SecureCluster;
  billing: NatsConnection;
  dashboard: NatsConnection;
  audit: PullConsumer;
  /** audit's committed offsets on broker-a once it read everything. */
  committed: number[];
}

const committed = async (ctx: Ctx) =>
  (await requestJson<OffsetQueryReply>(ctx.dashboard, brokerA("offset.query"), { group: "audit", topic: "orders" })).queues.map((q) => q.offset);

const test = suite<Ctx>("secured: consumer groups and topics");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster();
  const admin = new Admin(await ctx.cluster.connect("admin"));
  await waitUntil("both groups registered", async () => (await admin.cluster().catch(() => ({ brokers: [] }))).brokers.length === 2);
  await admin.createTopic({ topic: "orders", queues: 2 });
  const producer = await new Producer(await ctx.cluster.connect("producer")).start();
  for (let i = 0; i < 20; i++) await producer.send({ topic: "orders", body: `m${i}` });
  await producer.close();
  ctx.audit = new PullConsumer(await ctx.cluster.connect("consumer-audit"), { group: "audit", from: "first", pollWaitMs: 500, heartbeatMs: 200, commitIntervalMs: 100 });
  ctx.audit.subscribe("orders");
  await ctx.audit.start();
  const got: ConsumedMessage[] = [];
  await waitUntil("audit read all 20", async () => {
    got.push(...(await ctx.audit.poll(200)));
    return got.length >= 20;
  });
  ctx.billing = await ctx.cluster.connect("consumer-billing");
  ctx.dashboard = await ctx.cluster.connect("dashboard");
  ctx.committed = await waitUntil("audit committed everything", async () => {
    const offsets = await committed(ctx);
    return offsets.reduce((a, b) => a + b, 0) > 0 && offsets.every((o) => o >= 0) && offsets;
  });
});

test.after(async (ctx) => {
  await ctx.audit.close();
  await ctx.cluster.stop();
});

test("billing committing audit's offsets is refused by NATS; audit's offsets stay", async (ctx) => {
  const rewind = { group: "audit", entries: [0, 1].map((queueId) => ({ topic: "orders", queueId, offset: 0 })) };
  assert.ok(await refusedByNats(requestJson(ctx.billing, brokerA(scopedApi("offset.commit", "audit")), rewind)));
  assert.ok(await refusedByNats(requestJson(ctx.billing, subj.broker("broker-a", 0, "offset.commit") + ".*", rewind)), "a wildcard is no way round");
  assert.equal(await committed(ctx), ctx.committed);
});

test("audit's offsets on billing's own subject: the broker answers FORBIDDEN", async (ctx) => {
  const rewind = { group: "audit", entries: [{ topic: "orders", queueId: 0, offset: 0 }] };
  const err = await requestJson(ctx.billing, brokerA(scopedApi("offset.commit", "billing")), rewind).catch((e: unknown) => e);
  assert.instance(err, RbusError);
  assert.is((err as RbusError).code, ErrorCode.FORBIDDEN);
  assert.equal(await committed(ctx), ctx.committed);
});

test("billing commits its own group's offsets", async (ctx) => {
  await requestJson(ctx.billing, brokerA(scopedApi("offset.commit", "billing")), { group: "billing", entries: [{ topic: "orders", queueId: 0, offset: 1 }] });
  const reply = await requestJson<OffsetQueryReply>(ctx.dashboard, brokerA("offset.query"), { group: "billing", topic: "orders", queueId: 0 });
  assert.is(reply.queues[0]!.offset, 1);
});

test("16 ghost heartbeats into audit are refused; audit's member keeps every queue", async (ctx) => {
  const queues = ctx.audit.assignment().length;
  for (let i = 0; i < 16; i++) {
    const ghost = { clientId: `ghost-${i}`, group: "audit", mode: "clustering", topics: ["orders"] };
    assert.ok(await refusedByNats(requestJson(ctx.billing, brokerA(scopedApi("client.heartbeat", "audit")), ghost)), `ghost ${i}`);
  }
  const sneaky = await requestJson(ctx.billing, brokerA(scopedApi("client.heartbeat", "billing")), { clientId: "ghost", group: "audit", mode: "clustering", topics: ["orders"] }).catch((e: unknown) => e);
  assert.is((sneaky as RbusError).code, ErrorCode.FORBIDDEN);
  assert.is(queues, 4);
  assert.is(ctx.audit.assignment().length, queues);
});

test("topic.upsert by anyone but admin is refused; the topic keeps its permission", async (ctx) => {
  const disable = { topic: "orders", readQueues: 2, writeQueues: 2, perm: "none" };
  for (const user of ["producer", "consumer-billing", "dashboard", "broker-b-0", "ns-1"]) {
    const nc = await ctx.cluster.connect(user);
    assert.ok(await refusedByNats(requestJson(nc, brokerA("topic.upsert"), disable)), user);
  }
  const { topics } = await requestJson<{ topics: TopicConfig[] }>(ctx.dashboard, brokerA("topic.list"), {});
  assert.is(topics.find((t) => t.topic === "orders")?.perm, "rw");
  const admin = await ctx.cluster.connect("admin");
  await requestJson(admin, brokerA("topic.upsert"), { topic: "by-admin", readQueues: 1, writeQueues: 1, perm: "rw" });
});

test("the nodes themselves met no refusal", (ctx) => {
  assert.equal(ctx.cluster.nodeViolations(), []);
});

test.run();
