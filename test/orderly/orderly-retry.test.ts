// Orderly retry in place: a failing message suspends its queue (nothing
// after it goes first), is tried again after suspendMs, and after
// maxReconsumeTimes goes to the group's DLQ (sendBack with delayLevel -1),
// after which the queue moves on in order.
import * as assert from "uvu/assert";
import { suite } from "../harness/suite.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";
import { PushConsumer } from "../../src/client/push-consumer.js";
import { Producer } from "../../src/client/producer.js";
import { decodeJson, dlqTopic, subjects, type DlqEvent } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";

const subj = subjects();
const G = "ord-r";
const CG = "ordered";
const SUSPEND_MS = 150;

const test = suite<{ c: TestCluster }>("orderly retry in place, then the DLQ");

test.before(async (ctx) => {
  ctx.c = await startTestCluster([G], { jetstream: false, broker: { lockLeaseMs: 300, heartbeatIntervalMs: 300 } });
  await requestJson(ctx.c.nc, subj.broker(G, 0, "topic.upsert"), { topic: "steps", readQueues: 1, writeQueues: 1, perm: "rw" });
});
test.after(async (ctx) => ctx.c.stop());

test("a message failing twice is retried in place; one always failing goes to the DLQ; the queue keeps its order", async ({ c }) => {
  const dlq: DlqEvent[] = [];
  const sub = c.nc.subscribe(subj.events.dlq(CG), { callback: (_, m) => void dlq.push(decodeJson(m.data) as DlqEvent) });
  const producer = await new Producer(c.nc).start();
  for (let i = 0; i < 6; i++) await producer.send({ topic: "steps", body: `s${i}` });
  await producer.close();

  const calls: Array<{ body: string; at: number }> = [];
  const attempts = new Map<string, number>();
  const consumer = new PushConsumer(c.nc, {
    group: CG, from: "first", heartbeatMs: 300, rebalanceMs: 1000, retryMs: 100, commitIntervalMs: 200,
    maxReconsumeTimes: 2, orderly: { renewMs: 500, liveMs: 500, retryMs: 50, suspendMs: SUSPEND_MS },
  });
  consumer.subscribe("steps").onMessage((m) => {
    const body = m.body.toString();
    calls.push({ body, at: Date.now() });
    const n = (attempts.get(body) ?? 0) + 1;
    attempts.set(body, n);
    if (body === "s1" && n <= 2) throw new Error("not yet");
    if (body === "s3") return "later";
    return undefined;
  });
  await consumer.start();
  try {
    await waitUntil("every message done", () => calls.some((x) => x.body === "s5"), { timeoutMs: 15_000 });
    assert.equal(calls.map((x) => x.body), ["s0", "s1", "s1", "s1", "s2", "s3", "s3", "s3", "s4", "s5"], "in place: nothing after a failing message goes first");
    const s1 = calls.filter((x) => x.body === "s1").map((x) => x.at);
    assert.ok(s1[1]! - s1[0]! >= SUSPEND_MS - 5 && s1[2]! - s1[1]! >= SUSPEND_MS - 5, `suspended between attempts: ${s1.join(", ")}`);
    await waitUntil("the DLQ event", () => dlq.length === 1);
    assert.is(dlq[0]!.reason, "requested");
    assert.is(dlq[0]!.originTopic, "steps");
    const st = await requestJson<{ queues: Array<{ maxOffset: number }> }>(c.nc, subj.broker(G, 0, "topic.status"), { topic: dlqTopic(CG) });
    assert.is(st.queues.reduce((n, x) => n + x.maxOffset, 0), 1, "one message in the DLQ");
    assert.is(dlq.length, 1, "s1 succeeded on its third attempt: never dead-lettered");
  } finally {
    await consumer.close();
    sub.unsubscribe();
  }
});

test.run();
