import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { ConsumeQueue, CQ_ENTRY_BYTES, entryOffset, entrySize, entryTagHash } from "../../src/store/consume-queue.js";
import { writeU64 } from "../../src/store/record.js";
import { removeDir, tempDir } from "./helpers.js";

/** Entries i -> commit-log offset 100 * i, size 50 + i, tag hash i. */
function entries(from: number, n: number): Buffer {
  const buf = Buffer.alloc(n * CQ_ENTRY_BYTES);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    writeU64(buf, k * 20, 100 * i);
    buf.writeUInt32BE(50 + i, k * 20 + 8);
    writeU64(buf, k * 20 + 12, i);
  }
  return buf;
}

const cq = suite("ConsumeQueue");
let dir = "";
cq.before.each(() => void (dir = tempDir()));
cq.after.each(() => removeDir(dir));

cq("appends in batches across files, reads ranges, survives reopen", () => {
  const q = ConsumeQueue.open(dir, "t", 2, 8); // 8 entries per file
  q.append(0, entries(0, 5), 5);
  q.append(5, entries(5, 15), 15);
  assert.is(q.min, 0);
  assert.is(q.max, 20);
  q.writeTail();
  assert.is(q.segments.length, 3);
  const r = q.read(6, 10);
  assert.is(r.length, 10 * 20);
  for (let k = 0; k < 10; k++) {
    assert.is(entryOffset(r, k), 100 * (6 + k));
    assert.is(entrySize(r, k), 56 + k);
    assert.is(entryTagHash(r, k), BigInt(6 + k));
  }
  assert.is(q.read(18, 10).length, 2 * 20, "clamped at max");
  assert.is(q.lastPhysicalEnd(), 100 * 19 + 69);
  q.close();
  const again = ConsumeQueue.open(dir, "t", 2, 8);
  assert.is(again.max, 20);
  again.close();
});

cq("truncatePhysical drops entries at or past a commit-log offset", () => {
  const q = ConsumeQueue.open(dir, "t", 0, 8);
  q.append(0, entries(0, 20), 20);
  q.truncatePhysical(1250);
  assert.is(q.max, 13);
  q.truncatePhysical(0);
  assert.is(q.max, 0);
  assert.is(q.min, 0);
  q.close();
});

cq("correctMin deletes files below the log's min and moves min up", () => {
  const q = ConsumeQueue.open(dir, "t", 0, 8);
  q.append(0, entries(0, 20), 20);
  q.writeTail();
  q.correctMin(1750);
  assert.is(q.min, 18);
  assert.is(q.segments.length, 1, "only the last file holds entries >= 1750");
  q.close();
  const again = ConsumeQueue.open(dir, "t", 0, 8);
  again.correctMin(1750);
  assert.is(again.min, 18);
  again.close();
});

cq("a queue started past 0 (rebuilt after retention) has its min there", () => {
  const q = ConsumeQueue.open(dir, "t", 0, 8);
  q.append(11, entries(11, 3), 3);
  assert.is(q.min, 11);
  assert.is(q.max, 14);
  q.close();
  const again = ConsumeQueue.open(dir, "t", 0, 8);
  assert.is(again.min, 11, "holes before the first entry are skipped");
  again.close();
});

cq.run();
