// The master answers the second slave asking for the same offset with the
// first one's reply, within a term and while the log still holds its bytes.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { SharedChunk } from "../../actors/replication-serve.js";

const test = suite("shared fetch reply");
const reply = new Uint8Array([1, 2, 3]);

test("the next asker at the same offset gets the reply once; a third reads afresh", () => {
  const c = new SharedChunk();
  c.keep(1000, 500, 4, reply);
  assert.is(c.take(1000, 1 << 20, 4, 1600), reply);
  assert.is(c.take(1000, 1 << 20, 4, 1600), undefined);
});

test("another offset, another term, a smaller maxBytes or a log cut below the bytes: read afresh", () => {
  const c = new SharedChunk();
  c.keep(1000, 500, 4, reply);
  assert.is(c.take(1100, 1 << 20, 4, 1600), undefined, "another offset");
  assert.is(c.take(1000, 1 << 20, 5, 1600), undefined, "a new term");
  assert.is(c.take(1000, 400, 4, 1600), undefined, "more than the asker takes");
  assert.is(c.take(1000, 1 << 20, 4, 1400), undefined, "the log no longer holds the bytes");
  assert.is(c.take(1000, 500, 4, 1500), reply, "all of it still there");
});

test.run();
