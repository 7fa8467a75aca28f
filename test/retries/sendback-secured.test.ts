// Retries on a secured bus (every node and client its own NATS user, the
// rights of src/auth/roles.ts): billing's member hands its messages back
// and gets them again through %RETRY%billing; billing cannot hand back on
// audit's subject (a permissions violation); the broker may publish the
// dead-letter event, which admin hears. No node is refused anything.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { PushConsumer } from "../../src/client/push-consumer.js";
import { decodeJson, decodeMsgId, scopedApi, subjects, type DlqEvent, type SendBackReply } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { refusedByNats, startSecureCluster, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const test = suite<{ cluster: SecureCluster }>("secured: consumer.sendback");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster({ broker: { timers: { delayLevels: Array.from({ length: 18 }, (_, i) => `${(i + 1) * 50}ms`).join(" ") } } });
  const admin = new Admin(await ctx.cluster.connect("admin"));
  await waitUntil("both groups registered", async () => (await admin.cluster().catch(() => ({ brokers: [] }))).brokers.length === 2);
  await admin.createTopic({ topic: "invoices", queues: 1 });
});

test.after(async (ctx) => {
  await ctx.cluster.stop();
});

test("billing's member hands back and gets its message again; audit's subject is refused; admin hears the DLQ event", async (ctx) => {
  const billing = await ctx.cluster.connect("consumer-billing");
  const admin = await ctx.cluster.connect("admin");
  const events: DlqEvent[] = [];
  admin.subscribe(subj.events.dlq("billing"), { callback: (_e, m) => void events.push(decodeJson(m.data) as DlqEvent) });
  await admin.flush();
  const seen: Array<[string, number]> = [];
  const c = new PushConsumer(billing, { group: "billing", from: "first", retryMs: 100, rebalanceMs: 1000, heartbeatMs: 300 });
  c.subscribe("invoices").onMessage((m) => {
    seen.push([m.body.toString(), m.reconsumeTimes ?? 0]);
    return (m.reconsumeTimes ?? 0) === 0 ? "later" : "success";
  });
  await c.start();
  const producer = await new Producer(await ctx.cluster.connect("producer")).start();
  await producer.send({ topic: "invoices", body: "i1" });
  try {
    await waitUntil("i1 again, attempt 1", () => seen.length === 2, { timeoutMs: 10_000 });
    assert.equal(seen, [["i1", 0], ["i1", 1]]);
  } finally {
    await c.close();
  }
  // a message nobody consumed yet, handed back by hand
  const sent = await producer.send({ topic: "invoices", body: "i2" });
  await producer.close();
  const group = sent.msgId.slice(0, sent.msgId.lastIndexOf(":"));
  const body = { group: "audit", commitLogOffset: decodeMsgId(sent.msgId)!.commitLogOffset, msgId: sent.msgId, delayLevel: -1 };
  assert.ok(await refusedByNats(requestJson(billing, subj.broker(group, 0, scopedApi("consumer.sendback", "audit")), body)), "audit's subject");
  const dead = await requestJson<SendBackReply>(billing, subj.broker(group, 0, scopedApi("consumer.sendback", "billing")), { ...body, group: "billing" });
  assert.is(dead.outcome, "dlq");
  await waitUntil("admin heard the DLQ event", () => events.length === 1);
  assert.equal([events[0]!.consumerGroup, events[0]!.originMsgId, events[0]!.reason], ["billing", sent.msgId, "requested"]);
  assert.equal(ctx.cluster.nodeViolations(), []);
});

test.run();
