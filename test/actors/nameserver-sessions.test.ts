// The NameServer's session registry and refusal log, without NATS: a probe
// the test answers by hand, a clock the test moves.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Sessions, type Probe } from "../../actors/ns-sessions.js";
import { Refusals } from "../../actors/ns-refusals.js";
import type { BrokerIdentity } from "../../src/protocol/index.js";
import { fingerprintOf, sessionHash } from "../../src/protocol/session.js";
import { createLogger } from "../../src/runtime/log.js";

const KEY = "broker-a.0";
const SUBJECT = "rbus.broker.broker-a.0.identity";
const hashA = sessionHash("a".repeat(32));
const hashB = sessionHash("b".repeat(32));
const identity = (hash: string, key = KEY): BrokerIdentity => {
  const [group, replica] = key.split(".");
  return { group: group!, replica: Number(replica), fingerprint: fingerprintOf(hash), startedAt: 1 };
};

/** A probe whose answers the test gives, one call at a time. */
function handProbe() {
  const calls: Array<{ subject: string; answer: (id: BrokerIdentity | undefined) => void }> = [];
  const probe: Probe = (subject) => new Promise((answer) => calls.push({ subject, answer }));
  return { calls, probe };
}

const test = suite("sessions");

test("a new session costs one probe, however many registrations wait for it; then it is known without one", async () => {
  const p = handProbe();
  const s = new Sessions(p.probe, 64);
  const waiting = [s.check(KEY, hashA, SUBJECT), s.check(KEY, hashA, SUBJECT), s.check(KEY, hashA, SUBJECT)];
  assert.is(p.calls.length, 1);
  assert.ok(s.checking(KEY, hashA));
  p.calls[0]!.answer(identity(hashA));
  assert.equal(await Promise.all(waiting), [{ type: "verified" }, { type: "verified" }, { type: "verified" }]);
  assert.equal(s.check(KEY, hashA, SUBJECT), { type: "verified" }, "sync, no probe");
  assert.is(p.calls.length, 1);
});

test("another session while a probe is in flight is told to wait; past maxProbes every new one is", async () => {
  const p = handProbe();
  const s = new Sessions(p.probe, 2);
  void s.check(KEY, hashA, SUBJECT);
  assert.equal(s.check(KEY, hashB, SUBJECT), { type: "busy", limit: "probesPerReplica", max: 1 });
  void s.check("broker-b.0", hashA, SUBJECT);
  assert.equal(s.check("broker-c.0", hashA, SUBJECT), { type: "busy", limit: "probes", max: 2 });
  for (const c of p.calls) c.answer(undefined);
});

test("a wrong fingerprint, no answer, or an answer for another replica is forbidden; a wrong one is remembered", async () => {
  const p = handProbe();
  const s = new Sessions(p.probe, 64);
  const wrong = s.check(KEY, hashB, SUBJECT);
  p.calls[0]!.answer(identity(hashA));
  assert.is((await wrong).type, "forbidden");
  assert.is((s.check(KEY, hashB, SUBJECT) as { type: string }).type, "forbidden", "no second probe for the same forged session");
  assert.is(p.calls.length, 1);
  const silent = s.check(KEY, hashA, SUBJECT);
  p.calls[1]!.answer(undefined);
  assert.is((await silent).type, "forbidden");
  const other = s.check(KEY, hashA, SUBJECT);
  p.calls[2]!.answer(identity(hashA, "broker-b.0"));
  assert.is((await other).type, "forbidden");
  assert.is(s.hashOf(KEY), undefined);
});

test("a new verified session replaces the old one at once: the replica restarted", async () => {
  const p = handProbe();
  const s = new Sessions(p.probe, 64);
  const first = s.check(KEY, hashA, SUBJECT);
  p.calls[0]!.answer(identity(hashA));
  await first;
  const restarted = s.check(KEY, hashB, SUBJECT);
  p.calls[1]!.answer(identity(hashB));
  assert.equal(await restarted, { type: "verified" });
  assert.is(s.hashOf(KEY), hashB);
  assert.is((s.check(KEY, hashA, SUBJECT) as Promise<unknown>) instanceof Promise, true, "the old session must prove itself again");
  p.calls[2]!.answer(identity(hashB));
});

test.run();

const refusals = suite("refusal log");

refusals("a flood of refusals is one warning per reason per 10 s, carrying how many were not logged", () => {
  let now = 0;
  const lines: string[] = [];
  const r = new Refusals(createLogger({}, "warn", (l) => lines.push(l)), () => now);
  for (let i = 0; i < 1000; i++) r.note("forbidden", "wrong session", { group: "broker-a", replica: 0 });
  for (let i = 0; i < 10; i++) r.note("limited", "brokers", { group: `g${i}`, replica: 0 });
  assert.is(lines.length, 2);
  now = 10_000;
  r.note("forbidden", "wrong session", { group: "broker-a", replica: 0 });
  assert.is(lines.length, 3);
  assert.is(JSON.parse(lines[2]!).alsoRefusedSinceLastWarning, 999);
  assert.equal(r.counts, { forbidden: 1001, limited: 10 });
});

refusals.run();
