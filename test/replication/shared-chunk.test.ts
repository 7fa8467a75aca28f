// The master answers the second slave asking for the same offset with the
// first one's reply: the same records, with the same commit offset.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { SharedChunk } from "../../actors/replication-serve.js";

const test = suite("shared fetch reply");
const reply = new Uint8Array([1, 2, 3]);
const MAX = 1 << 20;

test("the next asker at the same offset gets the reply once; a third reads afresh", () => {
  const c = new SharedChunk();
  c.keep(1000, MAX, 500, 4, 900, reply);
  assert.is(c.take(1000, MAX, 4, 1500, 900), reply);
  assert.is(c.take(1000, MAX, 4, 1500, 900), undefined);
});

test("another offset, term, maxBytes or commit offset, or a cut below the bytes: read afresh", () => {
  const c = new SharedChunk();
  c.keep(1000, MAX, 500, 4, 900, reply);
  assert.is(c.take(1100, MAX, 4, 1500, 900), undefined, "another offset");
  assert.is(c.take(1000, MAX, 5, 1500, 900), undefined, "a new term");
  assert.is(c.take(1000, 400, 4, 1500, 900), undefined, "another maxBytes");
  assert.is(c.take(1000, MAX, 4, 1400, 900), undefined, "the log no longer holds the bytes");
  assert.is(c.take(1000, MAX, 4, 1500, 1200), undefined, "the commit offset moved: the reply would tell it late");
});

test("a log grown since: the same records, a prefix of what a fresh read returns", () => {
  const c = new SharedChunk();
  c.keep(1000, MAX, 500, 4, 900, reply);
  assert.is(c.take(1000, MAX, 4, 12_000, 900), reply);
});

test.run();
