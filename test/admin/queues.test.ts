// Reading queues by offset and by time, against a real nats-server and an
// in-process broker: the timestamp form of offset.query, message by queue
// offset and a range of a queue (bounded by the reply limit), tag
// expressions refused where they enter, and offset.commit's documented answer.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { PushConsumer } from "../../src/client/push-consumer.js";
import { ErrorCode, MAX_HEARTBEAT_QUEUES, scopedApi, subjects, type OffsetQueryReply, type QueueMessagesReply } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";
import { refusal } from "./refusal.js";

interface Ctx {
  c: TestCluster;
  admin: Admin;
  producer: Producer;
  /** Store time of each message sent to orders/0, in order. */
  stored: number[];
}
const test = suite<Ctx>("admin: queues by offset and by time");
const subj = subjects();
const api = (a: Parameters<typeof subj.broker>[2]) => subj.broker("broker-a", 0, a);

test.before(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a"]);
  ctx.admin = new Admin(ctx.c.nc);
  ctx.producer = new Producer(ctx.c.nc);
  await ctx.producer.start();
  await ctx.admin.createTopic({ topic: "orders", queues: 2 });
  await waitUntil("the route has orders", async () => (await ctx.admin.route("orders")).queues.length === 1);
  for (let i = 0; i < 6; i++) await ctx.producer.send({ topic: "orders", body: `m${i}`, queueId: 0 });
  const pulled = await requestJson<{ messages: Array<{ storedAt: number }> }>(ctx.c.nc, api("pull"), { group: "g", topic: "orders", queueId: 0, offset: 0, max: 10 });
  ctx.stored = pulled.messages.map((m) => m.storedAt);
});
test.after(async (ctx) => {
  await ctx.producer?.close();
  await ctx.c?.stop();
});

test("offset.query by timestamp answers a row per queue with the offset at that time", async ({ c, stored }) => {
  // what was seen: {"topic","queueId","timestamp"} answered {"queues":[]} for a topic with messages
  const at = stored[3]!;
  const one = await requestJson<OffsetQueryReply>(c.nc, api("offset.query"), { topic: "orders", queueId: 0, timestamp: at });
  assert.is(one.queues.length, 1);
  const row = one.queues[0]!;
  assert.ok(row.offset <= 3 && stored[row.offset] === at, `offset ${row.offset} is the first stored at ${at}`);
  assert.equal([row.queueId, row.minOffset, row.maxOffset], [0, 0, 6]);
  assert.is(one.offset, row.offset, "the one-queue form keeps its offset field");
  assert.is(one.timestamp, at);
  const all = await requestJson<OffsetQueryReply>(c.nc, api("offset.query"), { topic: "orders", timestamp: 0 });
  assert.equal(all.queues.map((q) => [q.queueId, q.offset, q.maxOffset]), [[0, 0, 6], [1, 0, 0]]);
  const later = await requestJson<OffsetQueryReply>(c.nc, api("offset.query"), { topic: "orders", queueId: 0, timestamp: Date.now() + 60_000 });
  assert.is(later.queues[0]!.offset, 6, "after every message: the queue's end");
});

test("messageByOffset: the message at a queue offset; outside the queue is OFFSET_OUT_OF_RANGE", async ({ admin }) => {
  const m = await admin.messageByOffset("orders", "broker-a", 0, 2);
  assert.equal([m.body, m.queueId, m.queueOffset], ["m2", 0, 2]);
  const past = await refusal(admin.messageByOffset("orders", "broker-a", 0, 6));
  assert.is(past.code, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.equal([past.details?.minOffset, past.details?.maxOffset], [0, 6]);
  assert.is((await refusal(admin.messageByOffset("ordres", "broker-a", 0, 0))).details?.nearest, "orders");
});

test("queueMessages: a range of a queue, over as many replies as the reply limit needs", async ({ c, admin, producer }) => {
  const range = await admin.queueMessages("orders", "broker-a", 0, 1, 3);
  assert.equal(range.messages.map((m) => m.body), ["m1", "m2", "m3"]);
  assert.is(range.nextOffset, 4);
  // bodies of 2 MiB: a reply under the server's 8 MB max_payload carries at most three
  const big = "x".repeat(2 * 1024 * 1024);
  for (let i = 0; i < 5; i++) await producer.send({ topic: "orders", body: `${i}${big}`, queueId: 1 });
  const raw = await requestJson<QueueMessagesReply>(c.nc, api("message"), { topic: "orders", queueId: 1, offset: 0, max: 5 });
  assert.ok(raw.messages.length >= 1 && raw.messages.length < 5, `one reply carries ${raw.messages.length}`);
  assert.is(raw.nextOffset, raw.messages.length, "nextOffset says where the rest starts");
  const all = await admin.queueMessages("orders", "broker-a", 1, 0, 100);
  assert.equal(all.messages.map((m) => m.body[0]), ["0", "1", "2", "3", "4"]);
  assert.is(all.nextOffset, 5);
});

test("tag expressions with an empty alternative are BAD_REQUEST on pull, heartbeat and subscribe", async ({ c }) => {
  const pull = await refusal(requestJson(c.nc, api("pull"), { group: "g", topic: "orders", queueId: 0, offset: 0, tags: "created ||" }));
  assert.is(pull.code, ErrorCode.BAD_REQUEST);
  assert.match(pull.message, /empty alternative/);
  const hb = { clientId: "c-1", group: "g", mode: "clustering", topics: ["orders"], subscriptions: [{ topic: "orders", tags: "|| paid" }] };
  assert.is((await refusal(requestJson(c.nc, api(scopedApi("client.heartbeat", "g")), hb))).code, ErrorCode.BAD_REQUEST);
  assert.throws(() => new PushConsumer(c.nc, { group: "g" }).subscribe("orders", "created ||"), /empty alternative/);
  for (const fine of ["*", "created", "created || paid"]) {
    await requestJson(c.nc, api("pull"), { group: "g", topic: "orders", queueId: 0, offset: 0, tags: fine });
  }
});

test("a heartbeat listing more queues than it may is refused; within bounds, it is kept", async ({ c }) => {
  const queues = Array.from({ length: MAX_HEARTBEAT_QUEUES + 1 }, (_, queueId) => ({ topic: "orders", queueId }));
  const hb = { clientId: "c-big", group: "g", mode: "clustering", topics: ["orders"], queues };
  assert.is((await refusal(requestJson(c.nc, api(scopedApi("client.heartbeat", "g")), hb))).code, ErrorCode.BAD_REQUEST);
  await requestJson(c.nc, api(scopedApi("client.heartbeat", "g")), { ...hb, queues: queues.slice(0, 2), host: "h-1", version: "9.9.9" });
  const conn = await requestJson<{ members: Array<{ clientId: string; host: string; version: string; queues: number }> }>(c.nc, api("consumer.connection"), { group: "g" });
  assert.equal(conn.members.map((m) => [m.clientId, m.host, m.version, m.queues]), [["c-big", "h-1", "9.9.9", 2]]);
});

test("offset.commit answers as docs/protocol.md says: {ok: true, committed: <entries>}", async ({ c }) => {
  const one = await requestJson(c.nc, api(scopedApi("offset.commit", "g")), { group: "g", topic: "orders", queueId: 0, offset: 1 });
  assert.equal(one, { ok: true, committed: 1 });
  const two = await requestJson(c.nc, api(scopedApi("offset.commit", "g")), { group: "g", entries: [{ topic: "orders", queueId: 0, offset: 2 }, { topic: "orders", queueId: 1, offset: 0 }] });
  assert.equal(two, { ok: true, committed: 2 });
});

test.run();
