// The chaos checker on hand-made histories: each rule can fail, and each
// allowance (duplicates, reported damage) is counted, not hidden.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { encodeMsgId } from "../../src/protocol/messages.js";
import { check, type Ack, type CheckInput, type Read } from "./checker.js";

const ack = (body: string, offset: number, queueOffset = offset / 100, group = "broker-a"): Ack => ({
  body,
  msgId: encodeMsgId(group, offset),
  topic: "chaos",
  queueId: 0,
  queueOffset,
});

const read = (a: Ack, session = "c1", lease = 1): Read => ({
  body: a.body,
  msgId: a.msgId,
  group: a.msgId.split(":")[0]!,
  topic: a.topic,
  queueId: a.queueId,
  queueOffset: a.queueOffset,
  session,
  lease,
});

const three = [ack("m0", 0), ack("m1", 100), ack("m2", 200)];
const input = (over: Partial<CheckInput>): CheckInput => ({
  sent: new Set(three.map((a) => a.body)),
  acks: three,
  reads: three.map((a) => read(a)),
  reports: [],
  injected: [],
  ...over,
});

const everything = suite("checker: the happy path");
everything("every acknowledged message read once, in order: ok", () => {
  const v = check(input({}));
  assert.ok(v.ok, JSON.stringify(v.violations));
  assert.equal([v.acked, v.read, v.damaged, v.duplicateReads, v.storedTwice], [3, 3, 0, 0, 0]);
});
everything.run();

const lost = suite("checker: lost messages");
lost("an acknowledged message nobody read and nobody reported is lost, named by queue and offset", () => {
  const v = check(input({ reads: [read(three[0]!), read(three[2]!)] }));
  assert.not.ok(v.ok);
  assert.equal(v.violations, [{ kind: "lost", body: "m1", msgId: three[1]!.msgId, queue: "broker-a/chaos/0@1", at: undefined }]);
});
lost("a report on another group does not cover it", () => {
  const v = check(input({
    reads: [read(three[0]!), read(three[2]!)],
    reports: [{ group: "broker-b", from: 100, to: 101, source: "CORRUPT_RECORD" }],
    injected: [{ group: "broker-b", from: 150, to: 151, fault: "#1" }],
  }));
  assert.equal(v.violations.map((x) => x.kind), ["lost"]);
});
lost("sent but never acknowledged and never read is not a loss", () => {
  const v = check(input({ sent: new Set(["m0", "m1", "m2", "m3"]) }));
  assert.ok(v.ok);
});
lost.run();

const damage = suite("checker: reported damage");
damage("a flipped byte inside a record reported by its offset: damaged, not lost", () => {
  const v = check(input({
    reads: [read(three[0]!), read(three[2]!)],
    reports: [{ group: "broker-a", from: 100, to: 101, source: "CORRUPT_RECORD" }],
    injected: [{ group: "broker-a", from: 142, to: 143, fault: "#2 byte-flip" }],
  }));
  assert.ok(v.ok, JSON.stringify(v.violations));
  assert.is(v.damaged, 1);
});
damage("a report covering a record no fault touched is collateral damage", () => {
  const v = check(input({
    reads: [read(three[0]!)],
    reports: [{ group: "broker-a", from: 100, to: 300, source: "recovery" }],
    injected: [{ group: "broker-a", from: 142, to: 143, fault: "#2 byte-flip" }],
  }));
  assert.equal(v.violations.map((x) => x.kind), ["unexplained"]);
  assert.is(v.violations[0]!.kind === "unexplained" && v.violations[0]!.msgId, three[2]!.msgId);
  assert.is(v.damaged, 1);
});
damage("a cut tail reported as truncated covers the last record", () => {
  const v = check(input({
    reads: [read(three[0]!), read(three[1]!)],
    reports: [{ group: "broker-a", from: 200, to: 290, source: "truncated" }],
    injected: [{ group: "broker-a", from: 285, to: 290, fault: "#3 torn-tail" }],
  }));
  assert.ok(v.ok, JSON.stringify(v.violations));
  assert.is(v.damaged, 1);
});
damage("a record cut off, then a new record started inside its old bytes: its own size still places it in the cut", () => {
  const old = { ...ack("m2", 200), size: 94 };
  const reused = ack("m3", 201, 2); // written after the truncation, one byte further on
  const v = check(input({
    sent: new Set(["m0", "m1", "m2", "m3"]),
    acks: [three[0]!, three[1]!, old, reused],
    reads: [read(three[0]!), read(three[1]!), read(reused)],
    reports: [{ group: "broker-a", from: 200, to: 294, source: "torn tail" }],
    injected: [{ group: "broker-a", from: 250, to: 294, fault: "#1 torn-tail" }],
  }));
  assert.ok(v.ok, JSON.stringify(v.violations));
  assert.is(v.damaged, 1);
});
damage.run();

const order = suite("checker: per-queue order");
order("offsets going backwards within one lease is a violation", () => {
  const v = check(input({ reads: [read(three[0]!), read(three[2]!), read(three[1]!)] }));
  assert.equal(v.violations, [{ kind: "order", session: "c1#1", queue: "broker-a/chaos/0", offset: 1, after: 2, body: "m1", afterBody: "m2" }]);
});
order("a new lease or a new session may start again from the committed offset (duplicates counted)", () => {
  const reads = [read(three[0]!), read(three[1]!), read(three[1]!, "c1", 2), read(three[2]!, "c1", 2), read(three[0]!, "c2", 1)];
  const v = check(input({ reads }));
  assert.ok(v.ok, JSON.stringify(v.violations));
  assert.is(v.duplicateReads, 2);
});
order("a message read, then cut off the tail and reported: its queue offset given to the next message is a violation", () => {
  const next = ack("m3", 200, 2);
  const reads = [read(three[0]!), read(three[1]!), read(three[2]!), read(next)];
  const cut = { reports: [{ group: "broker-a", from: 200, to: 290, source: "torn tail" }], injected: [{ group: "broker-a", from: 250, to: 290, fault: "#1 torn-tail" }] };
  const v = check(input({ sent: new Set(["m0", "m1", "m2", "m3"]), acks: [...three, next], reads, ...cut }));
  assert.equal(v.violations.map((x) => x.kind), ["order"], "a session that read the lost message would pull past the new one");
});
order("queues are independent", () => {
  const b = { ...ack("b0", 0, 0, "broker-b") };
  const v = check(input({ sent: new Set(["m0", "m1", "m2", "b0"]), acks: [...three, b], reads: [read(three[1]!), read(b), read(three[2]!), read(three[0]!, "c1", 2)] }));
  assert.ok(v.ok, JSON.stringify(v.violations));
});
order.run();

const sent = suite("checker: nothing read that was never sent");
sent("a body nobody sent is reported with where it was read", () => {
  const bogus = { ...read(ack("m3", 300)), body: "m3-altered" };
  const v = check(input({ reads: [...three.map((a) => read(a)), bogus] }));
  assert.equal(v.violations, [{ kind: "never-sent", body: "m3-altered", msgId: encodeMsgId("broker-a", 300), queue: "broker-a/chaos/0@3", session: "c1" }]);
});
sent("a retried send stored twice is counted, not failed", () => {
  const again = { ...read(three[1]!), msgId: encodeMsgId("broker-b", 0), group: "broker-b", queueOffset: 0 };
  const v = check(input({ reads: [...three.map((a) => read(a)), again] }));
  assert.ok(v.ok, JSON.stringify(v.violations));
  assert.equal([v.duplicateReads, v.storedTwice], [1, 1]);
});
sent.run();
