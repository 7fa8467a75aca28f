// The master's bookkeeping of halves, without a store: each half settled
// once, progress that only names what was true (and only committed ops).
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { TransactionLedger } from "../../actors/transaction-ledger.js";

const half = (halfOffset: number, storedAt = 0) => ({ halfOffset, commitLogOffset: 1000 + halfOffset, producerGroup: "pg", storedAt });

const settle = suite("a half is settled once");

settle("a second settle, while the first is writing or after it wrote, is refused and told how", () => {
  const l = new TransactionLedger(0, 0);
  l.noteHalf(half(0));
  assert.ok(l.begin(0, "commit"));
  assert.not.ok(l.begin(0, "rollback"), "while the first writes");
  assert.is(l.settledAs(0), "commit");
  l.done(0, "commit", 0, 500);
  assert.not.ok(l.begin(0, "commit"));
  assert.is(l.pending.size, 0);
});

settle("a settle that wrote nothing frees the half for another", () => {
  const l = new TransactionLedger(0, 0);
  l.noteHalf(half(0));
  assert.ok(l.begin(0, "commit"));
  l.abandon(0);
  assert.is(l.settledAs(0), undefined);
  assert.ok(l.begin(0, "rollback"));
});

settle("an op read at rebuild settles its half; a half read later stays settled", () => {
  const l = new TransactionLedger(0, 0);
  l.noteOp(1, "rollback", 0);
  l.noteHalf(half(0));
  l.noteHalf(half(1));
  assert.equal([...l.pending.keys()], [0]);
  assert.is(l.settledAs(1), "rollback");
  assert.not.ok(l.begin(1, "commit"));
});

settle.run();

const progress = suite("progress: halfFrom and opFrom");

progress("halfFrom passes only settled halves whose op is committed, in order", () => {
  const l = new TransactionLedger(0, 0);
  for (let i = 0; i < 3; i++) l.noteHalf(half(i));
  l.begin(1, "commit");
  l.done(1, "commit", 0, 100);
  assert.not.ok(l.advance(1000, 1), "half 0 is not settled: nothing moves");
  l.begin(0, "rollback");
  l.done(0, "rollback", 1, 200);
  l.advance(150, 2);
  assert.is(l.halfFrom, 0, "half 0's op (end 200) is not committed at 150");
  l.advance(200, 2);
  assert.is(l.halfFrom, 2);
  assert.is(l.settledAs(0), "rollback", "remembered after it passed");
  assert.is(l.settledAs(1), "commit");
});

progress("opFrom stops at the earliest op of a settled half still above halfFrom, and waits while a settle writes", () => {
  const l = new TransactionLedger(0, 0);
  for (let i = 0; i < 3; i++) l.noteHalf(half(i));
  l.begin(2, "commit");
  l.done(2, "commit", 0, 100);
  l.advance(1000, 1);
  assert.is(l.opFrom, 0, "half 2's op is at 0 and half 2 is still above halfFrom");
  l.begin(0, "commit");
  l.done(0, "commit", 1, 100);
  l.begin(1, "rollback");
  l.advance(1000, 2);
  assert.is(l.halfFrom, 1);
  assert.is(l.opFrom, 0, "half 2's op still needed");
  l.done(1, "rollback", 2, 100);
  l.advance(1000, 3);
  assert.is(l.halfFrom, 3);
  assert.is(l.opFrom, 3, "nothing above halfFrom: the op queue's end");
});

progress("check records: read before their half, the count comes with it; opFrom waits at a pending half's last one", () => {
  const l = new TransactionLedger(0, 0);
  l.noteCheck(0, 1, 0);
  l.noteCheck(0, 2, 1);
  l.noteCheck(1, 1, 2);
  l.noteOp(1, "commit", 3);
  l.noteHalf(half(0));
  l.noteHalf(half(1));
  assert.equal([...l.pending.keys()], [0], "half 1's op settled it, checks or not");
  assert.equal([l.pending.get(0)!.checks, l.pending.get(0)!.checkOp], [2, 1], "the last count, and where it is");
  l.advance(1000, 4);
  assert.equal([l.halfFrom, l.opFrom], [0, 1], "a rebuild must still read half 0's count at op 1");
  l.noteCheck(0, 3, 4);
  l.advance(1000, 5);
  assert.equal([l.pending.get(0)!.checks, l.opFrom], [3, 3], "a newer count: opFrom moves to half 1's op");
  l.begin(0, "rollback");
  l.done(0, "rollback", 5, 100);
  l.advance(1000, 6);
  assert.equal([l.halfFrom, l.opFrom], [2, 6], "settled: its check records are no longer needed");
});

progress("halfFrom never passes what was scanned; below it, everything reads as settled", () => {
  const l = new TransactionLedger(5, 2);
  assert.is(l.settledAs(4), "earlier");
  assert.not.ok(l.begin(4, "commit"));
  l.advance(1000, 10);
  assert.is(l.halfFrom, 5);
});

progress.run();

const due = suite("which halves are checked");

due("halves older than the cutoff and not being asked, oldest first, at most max", () => {
  const l = new TransactionLedger(0, 0);
  l.noteHalf(half(0, 100));
  l.noteHalf(half(1, 200));
  l.noteHalf(half(2, 900));
  assert.equal(l.due(500, 10).map((p) => p.halfOffset), [0, 1]);
  assert.equal(l.due(500, 1).map((p) => p.halfOffset), [0]);
  l.pending.get(0)!.asking = true;
  assert.equal(l.due(500, 10).map((p) => p.halfOffset), [1]);
  l.begin(1, "commit");
  assert.equal(l.due(500, 10).map((p) => p.halfOffset), [], "being settled");
});

due.run();
