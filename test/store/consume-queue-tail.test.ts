// A consume queue's in-memory tail: entries not yet in the file are read,
// cut and taken back as if they were, and reach the file in one write.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { ConsumeQueue, CQ_ENTRY_BYTES, entryOffset } from "../../src/store/consume-queue.js";
import { TAIL_ENTRIES } from "../../src/store/queue-tail.js";
import { writeU64 } from "../../src/store/record.js";
import { failFs } from "./fault-fs.js";
import { removeDir, tempDir } from "./helpers.js";

/** Entries i -> commit-log offset 100 * i, size 50 + i. */
function entries(from: number, n: number): Buffer {
  const buf = Buffer.alloc(n * CQ_ENTRY_BYTES);
  for (let k = 0; k < n; k++) {
    writeU64(buf, k * 20, 100 * (from + k));
    buf.writeUInt32BE(50 + from + k, k * 20 + 8);
  }
  return buf;
}

/** Counts writeSync calls while `fn` runs. */
function writes(fn: () => void): number {
  let n = 0;
  const restore = failFs("writeSync", "EIO", () => void n++ === undefined && false);
  try {
    fn();
  } finally {
    restore();
  }
  return n;
}

const offsets = (buf: Buffer) => Array.from({ length: buf.length / CQ_ENTRY_BYTES }, (_, i) => entryOffset(buf, i));

const tail = suite("consume-queue tail");
let dir = "";
tail.before.each(() => void (dir = tempDir()));
tail.after.each(() => removeDir(dir));

tail("appends write nothing until the tail is written; reads see the unwritten entries, across the files' end", () => {
  const q = ConsumeQueue.open(dir, "t", 0, 8);
  assert.is(writes(() => { for (let i = 0; i < 10; i++) q.append(i, entries(i, 1), 1); }), 0, "ten appends, no write");
  assert.is(q.max, 10);
  assert.is(q.unwritten, 10);
  assert.is(q.segments.length, 0);
  assert.equal(offsets(q.read(3, 4)), [300, 400, 500, 600]);
  assert.equal(q.entry(9), [900, 59]);
  assert.is(q.lastPhysicalEnd(), 959);
  assert.is(writes(() => q.writeTail()), 2, "one write per file the entries span (8 per file)");
  assert.is(q.unwritten, 0);
  q.append(10, entries(10, 5), 5);
  assert.equal(offsets(q.read(6, 8)), [600, 700, 800, 900, 1000, 1100, 1200, 1300], "files, then tail");
  assert.is(q.cutFor(1150), 12, "binary search reaches into the tail");
  q.close();
  const again = ConsumeQueue.open(dir, "t", 0, 8);
  assert.is(again.max, 15, "close writes the tail");
  again.close();
});

tail("a full tail is written in one call; a run larger than a tail is written as it is", () => {
  const q = ConsumeQueue.open(dir, "t", 0);
  let at = 0;
  const n = writes(() => {
    for (; at < TAIL_ENTRIES * 3; at += 4) q.append(at, entries(at, 4), 4);
  });
  assert.is(n, 2, "two fills written, the third waits");
  assert.is(q.unwritten, TAIL_ENTRIES);
  assert.is(writes(() => q.append(at, entries(at, TAIL_ENTRIES + 1), TAIL_ENTRIES + 1)), 2, "the tail, then the run");
  assert.is(q.unwritten, 0);
  assert.is(q.max, TAIL_ENTRIES * 4 + 1);
  assert.equal(offsets(q.read(TAIL_ENTRIES * 3 - 1, 2)), [100 * (TAIL_ENTRIES * 3 - 1), 100 * TAIL_ENTRIES * 3]);
  q.close();
});

tail("truncation inside the tail, at its start and below the files' end", () => {
  const q = ConsumeQueue.open(dir, "t", 0, 8);
  q.append(0, entries(0, 6), 6);
  q.writeTail();
  q.append(6, entries(6, 6), 6);
  q.truncateLogical(9);
  assert.is(q.max, 9);
  assert.is(q.unwritten, 3);
  q.append(9, entries(9, 1), 1);
  assert.equal(offsets(q.read(5, 10)), [500, 600, 700, 800, 900]);
  q.truncateLogical(6);
  assert.is(q.max, 6);
  assert.is(q.unwritten, 0);
  q.append(6, entries(6, 3), 3);
  q.truncatePhysical(400);
  assert.is(q.max, 4, "the cut reaches into the files and drops the tail");
  assert.is(q.unwritten, 0);
  q.close();
  assert.is(ConsumeQueue.open(dir, "t", 0, 8).max, 4);
});

tail("a queue started past 0 keeps its min; a failed write keeps what did not reach the file", () => {
  const q = ConsumeQueue.open(dir, "t", 0, 8);
  q.append(11, entries(11, 3), 3);
  assert.equal([q.min, q.max], [11, 14]);
  assert.equal(offsets(q.read(11, 3)), [1100, 1200, 1300]);
  const restore = failFs("writeSync", "ENOSPC", () => true);
  assert.throws(() => q.writeTail(), /ENOSPC/);
  restore();
  assert.is(q.unwritten, 3, "still held, still read");
  assert.equal(offsets(q.read(11, 3)), [1100, 1200, 1300]);
  q.writeTail();
  q.close();
  const again = ConsumeQueue.open(dir, "t", 0, 8);
  assert.equal([again.min, again.max], [11, 14]);
  again.close();
});

tail("discardTail is what kill -9 does: the file keeps only what was written", () => {
  const q = ConsumeQueue.open(dir, "t", 0, 8);
  q.append(0, entries(0, 5), 5);
  q.writeTail();
  q.append(5, entries(5, 5), 5);
  q.discardTail();
  assert.is(q.max, 5);
  q.close();
  assert.is(ConsumeQueue.open(dir, "t", 0, 8).max, 5);
});

tail.run();
