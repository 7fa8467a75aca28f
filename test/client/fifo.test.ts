import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Fifo } from "../../src/client/fifo.js";

const test = suite("Fifo");

test("first in, first out, through compaction", () => {
  const q = new Fifo<number>();
  for (let i = 0; i < 5000; i++) q.push(i);
  for (let i = 0; i < 3000; i++) assert.is(q.shift(), i);
  assert.is(q.length, 2000);
  assert.is(q.peek(), 3000);
  q.push(5000);
  assert.equal(q.take(3), [3000, 3001, 3002]);
  let expect = 3003;
  for (let v = q.shift(); v !== undefined; v = q.shift()) assert.is(v, expect++);
  assert.is(expect, 5001);
  assert.is(q.length, 0);
  assert.is(q.shift(), undefined);
});

test("clear empties it", () => {
  const q = new Fifo<string>();
  q.push("a");
  q.clear();
  assert.is(q.length, 0);
  assert.is(q.peek(), undefined);
});

test.run();
