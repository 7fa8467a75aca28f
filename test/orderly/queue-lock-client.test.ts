// The member's lock client against a fake master: what it asks (held
// queues as renewals), how long it trusts a grant (min(liveMs, validMs / 2)
// from when it sent the request), and that a refusal ends the trust at once.
import * as assert from "uvu/assert";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { suite } from "../harness/suite.js";
import { waitUntil } from "../harness/wait.js";
import type { BrokerClient } from "../../src/client/broker-client.js";
import { QueueLocks } from "../../src/client/queue-lock.js";
import { decodeJson, encodeJson, subjects, type LockBatchRequest, type LockBatchReply } from "../../src/protocol/index.js";
import { silentLogger } from "../../src/runtime/log.js";

const q0 = { topic: "orders", group: "broker-a", queueId: 0 };
const q1 = { topic: "orders", group: "broker-a", queueId: 1 };

/** A master that answers each lock.batch with `answer(request)`, recording what it was asked. */
function fakeMaster(answer: (req: LockBatchRequest, subject: string) => LockBatchReply | { unlocked: number } | { locked: LockBatchReply["locked"]; validMs: number }) {
  const asked: Array<{ subject: string; req: LockBatchRequest }> = [];
  const nc = {
    request: async (subject: string, data: Uint8Array) => {
      const req = decodeJson(data) as LockBatchRequest;
      asked.push({ subject, req });
      return { data: encodeJson(answer(req, subject)), headers: undefined } as unknown as Msg;
    },
  } as unknown as NatsConnection;
  const brokers = {
    subj: subjects(),
    address: async () => "rbus.broker.broker-a.0",
    routes: { invalidate: () => undefined },
  } as unknown as BrokerClient;
  return { nc, brokers, asked };
}

const test = suite("the lock client's trust");

test("trusts a grant for min(liveMs, validMs / 2) from the send; renews held queues as held", async () => {
  let validMs = 400;
  const m = fakeMaster((req) => ({ locked: req.queues.map(({ topic, queueId }) => ({ topic, queueId, token: 7 })), validMs }));
  let changes = 0;
  const locks = new QueueLocks(m.nc, m.brokers, "ledger", "c-1", silentLogger, () => changes++, { renewMs: 10_000, liveMs: 1000, retryMs: 50 });
  const before = Date.now();
  locks.want(q0);
  await waitUntil("q0 locked", () => locks.isLocked(q0));
  const left = locks.trustLeft(q0);
  assert.ok(left <= 200 && left >= 200 - (Date.now() - before) - 5, `trust ${left} ms: half of validMs 400`);
  assert.is(m.asked[0]!.subject, "rbus.broker.broker-a.0.lock.batch.ledger");
  assert.equal(m.asked[0]!.req, { group: "ledger", clientId: "c-1", queues: [{ topic: "orders", queueId: 0 }] });
  assert.ok(changes >= 1);
  assert.is(locks.token(q0), 7, "the grant's token, for the queue's commits");
  // the next round comes at half the trust and says it holds q0
  await waitUntil("a renewal", () => m.asked.length >= 2);
  assert.equal(m.asked[1]!.req.queues, [{ topic: "orders", queueId: 0, held: true }]);
  validMs = 60_000;
  await waitUntil("a renewal with the full lease", () => locks.trustLeft(q0) > 500);
  assert.ok(locks.trustLeft(q0) <= 1000, "never more than liveMs");
  locks.close();
});

test("a queue the master does not grant is not trusted, even one held a moment ago", async () => {
  let grant = true;
  const m = fakeMaster((req) => ({ locked: grant ? req.queues.map(({ topic, queueId }) => ({ topic, queueId, token: 7 })) : [], validMs: 10_000 }));
  const locks = new QueueLocks(m.nc, m.brokers, "ledger", "c-1", silentLogger, () => undefined, { renewMs: 30, liveMs: 10_000, retryMs: 30 });
  locks.want(q0);
  locks.want(q1);
  await waitUntil("both locked", () => locks.isLocked(q0) && locks.isLocked(q1));
  grant = false;
  await waitUntil("the refusal seen", () => !locks.isLocked(q0) && !locks.isLocked(q1), { timeoutMs: 2000 });
  locks.close();
});

test("release unlocks on the master and stops trusting; forget stops trusting without unlocking", async () => {
  const m = fakeMaster((req, subject) => (subject.includes(".unlock.") ? { unlocked: req.queues.length } : { locked: req.queues.map(({ topic, queueId }) => ({ topic, queueId, token: 7 })), validMs: 10_000 }));
  const locks = new QueueLocks(m.nc, m.brokers, "ledger", "c-1", silentLogger, () => undefined, { renewMs: 10_000, liveMs: 10_000, retryMs: 30 });
  locks.want(q0);
  locks.want(q1);
  await waitUntil("both locked", () => locks.isLocked(q0) && locks.isLocked(q1));
  await locks.release([q0]);
  assert.not.ok(locks.isLocked(q0));
  assert.equal(m.asked.filter((a) => a.subject.endsWith(".unlock.batch.ledger")).map((a) => a.req.queues), [[{ topic: "orders", queueId: 0 }]]);
  locks.forget(q1);
  assert.not.ok(locks.isLocked(q1));
  assert.is(m.asked.filter((a) => a.subject.includes(".unlock.")).length, 1, "forget sends nothing");
  locks.close();
});

test.run();
