// The send path's timer rewrite, on an in-process broker: a message with a
// DELAY header (a `nats pub -H DELAY:2`) waits in the timer topic and reaches
// its real queue once, no earlier than its level's delay, carrying
// TIMER_QUEUE_OFFSET; bad levels, times past the horizon and sends to
// system topics are typed errors; RBB2 batches take no timers.
import { headers } from "@nats-io/transport-node";
import * as assert from "uvu/assert";
import { decodeJson, encodeBatch, encodeJson, Header, subjects, type PullReply } from "../../src/protocol/index.js";
import { frameRecordBatch } from "../../src/protocol/record-batch.js";
import { Prop, TIMER_TOPIC } from "../../src/protocol/system-topics.js";
import { Producer } from "../../src/client/producer.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { suite } from "../harness/suite.js";
import { waitUntil } from "../harness/wait.js";

const test = suite<{ c: TestCluster }>("send: delayed and timer messages");
const api = (name: "send" | "send.batch" | "pull" | "topic.upsert" | "status") => subjects().broker("broker-a", 0, name);

test.before(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a"], { broker: { timers: { delayLevels: "100ms 300ms 600ms", horizonMs: 60_000 } } });
  await ctx.c.nc.request(api("topic.upsert"), encodeJson({ topic: "later", readQueues: 1, writeQueues: 1, perm: "rw" }));
});
test.after(async ({ c }) => c?.stop());

async function send(c: TestCluster, props: Record<string, string>, body = "x", topic = "later"): Promise<{ error?: { code: string; message: string }; queueId?: number }> {
  const h = headers();
  h.set(Header.topic, topic);
  for (const [k, v] of Object.entries(props)) h.set(k, v);
  const reply = await c.nc.request(api("send"), Buffer.from(body), { headers: h, timeout: 5000 });
  return decodeJson(reply.data) as { error?: { code: string; message: string } };
}

async function pull(c: TestCluster, topic = "later"): Promise<PullReply> {
  const r = await c.nc.request(api("pull"), encodeJson({ group: "g", topic, queueId: 0, offset: 0, max: 100 }));
  return decodeJson(r.data) as PullReply;
}

test("a DELAY header holds the message for its level's delay, then it is in its queue once", async ({ c }) => {
  const sent = Date.now();
  const r = await send(c, { DELAY: "2", app: "kept" }, "delayed");
  assert.not.ok(r.error, JSON.stringify(r.error));
  assert.is((await pull(c)).messages.length, 0, "not in its queue yet");
  const got = await waitUntil("the delayed message", async () => {
    const p = await pull(c);
    return p.messages.length > 0 ? p : undefined;
  }, { timeoutMs: 5000 });
  const m = got.messages[0]!;
  assert.is(got.messages.length, 1);
  assert.is(m.body, "delayed");
  assert.ok(m.storedAt - sent >= 300, `stored ${m.storedAt - sent} ms after the send, level 2 is 300 ms`);
  assert.is(m.properties?.app, "kept");
  assert.is(m.properties?.[Prop.timerQueueOffset], "0");
  assert.is(m.properties?.[Prop.delayLevel], undefined, "the timer properties are gone");
  assert.is(m.properties?.[Prop.realTopic], undefined);
  const status = decodeJson((await c.nc.request(api("status"), encodeJson({}))).data) as { timers: { running: boolean; pending: number; delivered: number } };
  assert.ok(status.timers.running);
  assert.is(status.timers.delivered, 1);
  assert.is(status.timers.pending, 0);
});

test("TIMER_DELIVER_MS and TIMER_DELAY_MS, alone and in an RBB1 batch", async ({ c }) => {
  const at = Date.now() + 200;
  assert.not.ok((await send(c, { [Prop.timerDeliverMs]: String(at) }, "at")).error);
  const h = headers();
  h.set(Header.topic, "later");
  const entries = [
    { queueId: 0, bornTimestamp: Date.now(), body: Buffer.from("b1"), properties: { [Prop.timerDelayMs]: "250" } },
    { queueId: 0, bornTimestamp: Date.now(), body: Buffer.from("b2") },
  ];
  const reply = await c.nc.request(api("send.batch"), encodeBatch(entries), { headers: h, timeout: 5000 });
  assert.is(reply.headers?.get(Header.status), "SEND_OK");
  const p = await waitUntil("all three", async () => {
    const p = await pull(c);
    return p.messages.filter((m) => ["at", "b1", "b2"].includes(m.body)).length === 3 ? p : undefined;
  }, { timeoutMs: 5000 });
  const byBody = new Map(p.messages.map((m) => [m.body, m]));
  assert.ok(byBody.get("at")!.storedAt >= at, "not before its time");
  assert.is(byBody.get("b2")!.properties?.[Prop.timerQueueOffset], undefined, "the plain one went straight in");
});

test("typed errors: a level that does not exist, past the horizon, two timers, a system topic, RBB2", async ({ c }) => {
  assert.is((await send(c, { DELAY: "4" })).error?.code, "BAD_REQUEST");
  assert.is((await send(c, { DELAY: "x" })).error?.code, "BAD_REQUEST");
  assert.is((await send(c, { [Prop.timerDelaySec]: "61" })).error?.code, "BAD_REQUEST");
  assert.is((await send(c, { DELAY: "1", [Prop.timerDelayMs]: "5" })).error?.code, "BAD_REQUEST");
  assert.is((await send(c, {}, "x", TIMER_TOPIC)).error?.code, "NO_PERMISSION");
  assert.is((await send(c, {}, "x", "%DLQ%g")).error?.code, "NO_PERMISSION");
  const rbb2 = frameRecordBatch([{ topic: "later", body: Buffer.from("r"), properties: { DELAY: "1" } }]);
  const reply = await c.nc.request(api("send.batch"), rbb2, { timeout: 5000 });
  assert.is((decodeJson(reply.data) as { error?: { code: string } }).error?.code, "BAD_REQUEST");
});

test("an RBB2 record cannot carry the broker's delivery mark: a forged TIMER_QUEUE_OFFSET would hide a pending timer from a rebuild", async ({ c }) => {
  const before = c.brokers[0]!.store.maxPhysicalOffset;
  const forged = frameRecordBatch([
    { topic: "later", body: Buffer.from("ok") },
    { topic: "later", body: Buffer.from("forged"), properties: { [Prop.timerQueueOffset]: "0" } },
  ]);
  const reply = decodeJson((await c.nc.request(api("send.batch"), forged, { timeout: 5000 })).data) as { error?: { code: string; message: string } };
  assert.is(reply.error?.code, "BAD_REQUEST");
  assert.match(reply.error!.message, "record 1");
  assert.is(c.brokers[0]!.store.maxPhysicalOffset, before, "nothing of the batch was stored");
  // a half in a batch would be stored as an ordinary message, seen at once: refused in both layouts
  const half = { [Prop.transactionPrepared]: "true", [Prop.producerGroup]: "pg" };
  const rbb2 = decodeJson((await c.nc.request(api("send.batch"), frameRecordBatch([{ topic: "later", body: Buffer.from("h"), properties: half }]), { timeout: 5000 })).data) as { error?: { code: string } };
  assert.is(rbb2.error?.code, "BAD_REQUEST");
  const h = headers();
  h.set(Header.topic, "later");
  const rbb1 = decodeJson((await c.nc.request(api("send.batch"), encodeBatch([{ queueId: 0, bornTimestamp: Date.now(), body: Buffer.from("h"), properties: half }]), { headers: h, timeout: 5000 })).data) as { error?: { code: string } };
  assert.is(rbb1.error?.code, "BAD_REQUEST");
  assert.is(c.brokers[0]!.store.maxPhysicalOffset, before, "nothing was stored");
  // alone, the same message is stored without the mark
  const alone = await send(c, { [Prop.timerQueueOffset]: "0" }, "alone");
  assert.not.ok(alone.error, JSON.stringify(alone.error));
});

test("sendAsync with a DELAY property set by hand travels alone: the batch beside it is not refused", async ({ c }) => {
  const producer = await new Producer(c.nc).start();
  try {
    const [plain, delayed] = await Promise.all([
      producer.sendAsync({ topic: "later", body: "plain", queueId: 0 }),
      producer.sendAsync({ topic: "later", body: "by hand", queueId: 0, properties: { DELAY: "1" } }),
    ]);
    assert.ok(plain.msgId && delayed.msgId);
    await waitUntil("the hand-delayed message delivered", async () => (await pull(c)).messages?.some((m) => m.body === "by hand"), { timeoutMs: 5000 });
  } finally {
    await producer.close();
  }
});

test.run();
