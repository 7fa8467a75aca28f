// The timer heap and the done-offset window: order by (due, offset) under
// random adds and pops, the size limit, and the window's low mark.
import * as assert from "uvu/assert";
import { DoneOffsets } from "../../actors/timer-done.js";
import { PendingTimers } from "../../actors/timer-pending.js";
import { Lateness } from "../../actors/timer-lateness.js";
import { suite } from "../harness/suite.js";

const test = suite("timer pending set");

test("pops come out in (due, offset) order, only when due", () => {
  const h = new PendingTimers(100_000, 4);
  const ref: Array<[number, number]> = [];
  let x = 3;
  const rnd = (n: number) => (x = (x * 48271) % 2147483647) % n;
  for (let i = 0; i < 20_000; i++) {
    const due = rnd(5000);
    h.add(due, i, i * 100);
    ref.push([due, i]);
  }
  ref.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  assert.is(h.popDue(-1), undefined, "nothing is due before the earliest");
  let k = 0;
  for (let now = 0; now <= 5000; now += 250) {
    for (let e = h.popDue(now); e; e = h.popDue(now)) {
      const [due, off] = ref[k++]!;
      assert.is(e.due, due);
      assert.is(e.offset, off);
      assert.is(e.commitLogOffset, off * 100);
      assert.ok(e.due <= now);
      // interleave adds: a later timer must not jump the queue
      if (k % 7 === 0) {
        const d = now + 10_000 + rnd(100);
        h.add(d, 100_000 + k, 0);
      }
    }
  }
  assert.is(k, 20_000);
  let last = -1;
  for (let e = h.popDue(Infinity); e; e = h.popDue(Infinity)) {
    assert.ok(e.due >= last);
    last = e.due;
  }
  assert.is(h.size, 0);
});

test("add refuses past max", () => {
  const h = new PendingTimers(3);
  assert.ok(h.add(1, 0, 0) && h.add(2, 1, 0) && h.add(3, 2, 0));
  assert.not.ok(h.add(4, 3, 0));
  assert.is(h.size, 3);
});

test("the done window's low is the first offset not done, marks in any order", () => {
  const d = new DoneOffsets(10);
  assert.is(d.low, 10);
  d.markDone(12);
  d.markDone(11);
  assert.is(d.low, 10);
  assert.ok(d.isDone(12) && !d.isDone(10) && d.isDone(5));
  d.markDone(10);
  assert.is(d.low, 13);
  const order = Array.from({ length: 200_000 }, (_, i) => 13 + i);
  let x = 9;
  for (let i = order.length - 1; i > 0; i--) {
    x = (x * 48271) % 2147483647;
    const j = x % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const last = order.pop()!;
  for (const o of order) d.markDone(o);
  assert.is(d.low, Math.min(last, 13 + 200_000));
  d.markDone(last);
  assert.is(d.low, 13 + 200_000);
  assert.ok(d.isDone(13 + 199_999) && !d.isDone(13 + 200_000));
});

test("lateness percentiles", () => {
  const l = new Lateness(1000);
  for (let i = 1; i <= 100; i++) l.add(i);
  const s = l.summary();
  assert.is(s.p50, 51);
  assert.is(s.p99, 100);
  assert.is(s.max, 100);
  assert.is(s.count, 100);
});

test.run();
