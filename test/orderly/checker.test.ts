// The orderly run's checker on journals made by hand: a clean run passes,
// and each way of breaking order, completeness or exclusivity is caught —
// including redeliveries that look like the allowed kind but are not.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { check, type JournalEvent } from "./checker.js";

/** Sent: key a on queue 0 (offsets 0..n-1 = seqs), key b on queue 1. */
function sent(n: number): JournalEvent[] {
  const out: JournalEvent[] = [];
  for (let s = 0; s < n; s++) out.push({ e: "sent", k: "a", s, q: 0, o: s }, { e: "sent", k: "b", s, q: 1, o: s });
  return out;
}

/** Member `m` processes key/queue `k`/`q` offsets `from..to-1` starting at time `t`, 10 ms each. */
function calls(m: string, k: string, q: number, from: number, to: number, t: number): JournalEvent[] {
  const out: JournalEvent[] = [];
  for (let o = from; o < to; o++) {
    const at = t + (o - from) * 10;
    out.push({ e: "begin", m, k, s: o, q, o, t: at }, { e: "end", m, k, s: o, q, o, t: at + 5 });
  }
  return out;
}

const passes = suite("checker: runs that hold");

passes("each queue read once, in order, by members taking turns", () => {
  const r = check([...sent(6), ...calls("A", "a", 0, 0, 3, 0), ...calls("B", "a", 0, 3, 6, 100), ...calls("B", "b", 1, 0, 6, 0)]);
  assert.equal(r.problems, []);
  assert.is(r.processed, 12);
  assert.is(r.redelivered, 0);
});

passes("a SIGKILLed member's uncommitted tail is processed again by the next holder", () => {
  const r = check([
    ...sent(6), ...calls("B", "b", 1, 0, 6, 0),
    ...calls("A", "a", 0, 0, 4, 0),
    { e: "commit", m: "A", q: 0, o: 2, t: 25 }, // 0 and 1 committed; 2 and 3 not
    { e: "kill", m: "A", t: 50 },
    ...calls("C", "a", 0, 2, 6, 100),
  ]);
  assert.equal(r.problems, []);
  assert.is(r.redelivered, 2);
});

passes("a killed member's call cut short by the kill is redelivered", () => {
  const r = check([
    ...sent(3), ...calls("B", "b", 1, 0, 3, 0),
    ...calls("A", "a", 0, 0, 1, 0), { e: "begin", m: "A", k: "a", s: 1, q: 0, o: 1, t: 20 }, { e: "kill", m: "A", t: 22 },
    ...calls("C", "a", 0, 1, 3, 100),
  ]);
  assert.equal(r.problems, []);
});

passes("a member cut off the bus: what it did before its network came back may be done again", () => {
  const r = check([
    ...sent(6), ...calls("B", "b", 1, 0, 6, 0),
    ...calls("A", "a", 0, 0, 4, 0), { e: "commit", m: "A", q: 0, o: 2, t: 15 },
    { e: "cut", m: "A", t: 20, until: 500 }, // A went on with 2 and 3 for the rest of its trust
    ...calls("C", "a", 0, 2, 6, 300),
  ]);
  assert.equal(r.problems, []);
  assert.is(r.redelivered, 2);
});

const fails = suite("checker: runs that must fail");

const problemsOf = (events: JournalEvent[]) => check(events).problems.join("\n");

fails("a key out of order", () => {
  const events = [...sent(3), ...calls("B", "b", 1, 0, 3, 0), { e: "begin", m: "A", k: "a", s: 1, q: 0, o: 1, t: 0 }, { e: "end", m: "A", k: "a", s: 1, q: 0, o: 1, t: 1 },
    { e: "begin", m: "A", k: "a", s: 0, q: 0, o: 0, t: 2 }, { e: "end", m: "A", k: "a", s: 0, q: 0, o: 0, t: 3 }, ...calls("A", "a", 0, 2, 3, 10)] as JournalEvent[];
  assert.match(problemsOf(events), /processed again by A.*not killed|key a: call 0 processed #1/);
});

fails("a gap: a message skipped", () => {
  assert.match(problemsOf([...sent(4), ...calls("B", "b", 1, 0, 4, 0), ...calls("A", "a", 0, 0, 2, 0), ...calls("A", "a", 0, 3, 4, 50)]), /gap: offset 3.*2 was next/);
});

fails("a message never processed at the end", () => {
  assert.match(problemsOf([...sent(4), ...calls("B", "b", 1, 0, 4, 0), ...calls("A", "a", 0, 0, 3, 0)]), /1 of 4 sent messages never processed/);
});

fails("a duplicate with no kill (a rebalance that re-read an old offset)", () => {
  assert.match(problemsOf([...sent(4), ...calls("B", "b", 1, 0, 4, 0), ...calls("A", "a", 0, 0, 3, 0), ...calls("C", "a", 0, 2, 4, 100)]),
    /offset 2 processed again by C .*A, which was not killed/);
});

fails("a duplicate after a clean stop", () => {
  assert.match(problemsOf([...sent(4), ...calls("B", "b", 1, 0, 4, 0), ...calls("A", "a", 0, 0, 3, 0), { e: "commit", m: "A", q: 0, o: 2, t: 40 }, ...calls("C", "a", 0, 2, 4, 100)]),
    /not killed/);
});

fails("a redelivery of what the killed member had committed", () => {
  assert.match(problemsOf([
    ...sent(4), ...calls("B", "b", 1, 0, 4, 0), ...calls("A", "a", 0, 0, 3, 0),
    { e: "commit", m: "A", q: 0, o: 3, t: 30 }, { e: "kill", m: "A", t: 40 }, ...calls("C", "a", 0, 1, 4, 100),
  ]), /A had committed past 1 before it was killed/);
});

fails("a redelivery that begins before the kill", () => {
  assert.match(problemsOf([
    ...sent(4), ...calls("B", "b", 1, 0, 4, 0), ...calls("A", "a", 0, 0, 3, 0), ...calls("C", "a", 0, 2, 4, 60), { e: "kill", m: "A", t: 100 },
  ]), /killed only at 100/);
});

fails("a rewind past the killed member's own tail, onto another member's work", () => {
  assert.match(problemsOf([
    ...sent(6), ...calls("B", "b", 1, 0, 6, 0), ...calls("D", "a", 0, 0, 3, 0), ...calls("A", "a", 0, 3, 5, 100),
    { e: "kill", m: "A", t: 200 }, ...calls("C", "a", 0, 1, 6, 300),
  ]), /offset 1 was last processed by D, which was not killed/);
});

fails("a cut member's work after its network came back done again", () => {
  assert.match(problemsOf([
    ...sent(6), ...calls("B", "b", 1, 0, 6, 0), { e: "cut", m: "A", t: 0, until: 10 },
    ...calls("A", "a", 0, 0, 4, 100), ...calls("C", "a", 0, 2, 6, 300),
  ]), /offset 2 was last processed by A, which was not killed/);
});

fails("a redelivery of what a cut member had committed before the cut", () => {
  assert.match(problemsOf([
    ...sent(6), ...calls("B", "b", 1, 0, 6, 0), ...calls("A", "a", 0, 0, 4, 0), { e: "commit", m: "A", q: 0, o: 4, t: 45 },
    { e: "cut", m: "A", t: 50, until: 500 }, ...calls("C", "a", 0, 2, 6, 300),
  ]), /A had committed past 2/);
});

fails("two members in one queue at once", () => {
  const events: JournalEvent[] = [
    ...sent(2), ...calls("B", "b", 1, 0, 2, 0),
    { e: "begin", m: "A", k: "a", s: 0, q: 0, o: 0, t: 0 }, { e: "begin", m: "C", k: "a", s: 1, q: 0, o: 1, t: 3 },
    { e: "end", m: "C", k: "a", s: 1, q: 0, o: 1, t: 4 }, { e: "end", m: "A", k: "a", s: 0, q: 0, o: 0, t: 5 },
  ];
  assert.match(problemsOf(events), /C began offset 1 at 3 while A was in offset 0/);
});

fails("a killed member's unfinished call overlaps the next holder's", () => {
  assert.match(problemsOf([
    ...sent(2), ...calls("B", "b", 1, 0, 2, 0), { e: "begin", m: "A", k: "a", s: 0, q: 0, o: 0, t: 0 }, ...calls("C", "a", 0, 0, 2, 10), { e: "kill", m: "A", t: 50 },
  ]), /C began offset 0 at 10 while A was in offset 0/);
});

fails("a call begun and never ended by a member still alive", () => {
  assert.match(problemsOf([...sent(1), ...calls("B", "b", 1, 0, 1, 0), { e: "begin", m: "A", k: "a", s: 0, q: 0, o: 0, t: 0 }]), /never ended, and A was not killed/);
});

passes.run();
fails.run();
