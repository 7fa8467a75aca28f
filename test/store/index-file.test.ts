// The key index on disk (index/*.idx): the heap stays flat however many
// keys it holds, hash collisions never return another key's record, a
// key's chain goes on across files, retention removes files whose records
// are gone, and a put makes no write of its own.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { keyHash } from "../../src/store/index-file-layout.js";
import { KeyIndex } from "../../src/store/key-index.js";
import { MessageStore } from "../../src/store/message-store.js";
import { failFs } from "./fault-fs.js";
import { msg, removeDir, tempDir } from "./helpers.js";

let dir = "";
const idxFiles = () => fs.readdirSync(path.join(dir, "index")).filter((n) => n.endsWith(".idx"));

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
function settled(): { heap: number; buffers: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

const flat = suite("key index: memory");
flat.before.each(() => void (dir = tempDir()));
flat.after.each(() => removeDir(dir));

flat("2 M keys: heap and buffers stay flat, every key sampled is found at its offset", () => {
  const k = new KeyIndex(dir);
  k.load();
  const total = 2_000_000;
  for (let i = 0; i < 100_000; i++) k.add("orders", `order-${i}`, i * 200);
  k.flush(100_000 * 200);
  const before = settled();
  for (let i = 100_000; i < total; i++) {
    k.add("orders", `order-${i}`, i * 200);
    if (i % 250_000 === 0) k.flush(i * 200 + 1);
  }
  k.flush(total * 200);
  const after = settled();
  const grew = { heap: (after.heap - before.heap) / 2 ** 20, buffers: (after.buffers - before.buffers) / 2 ** 20 };
  // the heap map this replaces held ~100 B per key: 190 MiB for these 1.9 M
  assert.ok(grew.heap < 4, `heap grew ${grew.heap.toFixed(1)} MiB`);
  assert.ok(grew.buffers < 4, `buffers grew ${grew.buffers.toFixed(1)} MiB`);
  assert.is(k.size, total);
  assert.ok(k.fileCount >= 2, "the entries filled more than one file");
  const t0 = performance.now();
  for (let i = 0; i < total; i += 997) assert.equal(k.get("orders", `order-${i}`), [i * 200], `order-${i}`);
  const perLookup = (performance.now() - t0) / Math.ceil(total / 997);
  assert.equal(k.get("orders", "order-none"), []);
  k.close(total * 200);
  const reopened = new KeyIndex(dir);
  assert.is(reopened.load(), total * 200);
  assert.equal(reopened.get("orders", "order-1999999"), [1999999 * 200]);
  reopened.abandon();
  console.log(`  2 M keys: heap +${grew.heap.toFixed(2)} MiB, buffers +${grew.buffers.toFixed(2)} MiB, ${(perLookup * 1000).toFixed(0)} µs per lookup`);
});

flat.run();

const chains = suite("key index: collisions and chains");
chains.before.each(() => void (dir = tempDir()));
chains.after.each(() => removeDir(dir));

/** Two different keys with the same 32-bit hash (found by a birthday search: deterministic, ~0.1 s). */
function collidingKeys(topic: string): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const k = `c${i}`;
    const h = keyHash(topic, k);
    const other = seen.get(h);
    if (other !== undefined) return [other, k];
    seen.set(h, k);
  }
}

chains("keys sharing a hash (and every key sharing one slot): each lookup returns only its own records", async () => {
  const [a, b] = collidingKeys("t");
  const s = await MessageStore.open(dir, { keyIndexSlots: 1, flushIntervalMs: 3_600_000 });
  await s.put([msg("t", 0, "A1", { keys: a }), msg("t", 0, "B1", { keys: b }), msg("t", 0, "A2", { keys: a }), msg("u", 0, "other topic", { keys: a })]);
  for (let i = 0; i < 50; i++) await s.put([msg("t", 1, `n${i}`, { keys: `n${i}` })]);
  assert.equal(s.queryByKey("t", a, 10).map((m) => m.body.toString()), ["A1", "A2"]);
  assert.equal(s.queryByKey("t", b, 10).map((m) => m.body.toString()), ["B1"]);
  assert.equal(s.queryByKey("u", a, 10).map((m) => m.body.toString()), ["other topic"]);
  for (let i = 0; i < 50; i++) assert.equal(s.queryByKey("t", `n${i}`, 10).map((m) => m.body.toString()), [`n${i}`]);
  await s.close();
});

chains("a key's chain goes on across files: newest first from the newest file, then older ones, after a reopen too", async () => {
  const opts = { keyIndexSlots: 16, keyIndexEntriesPerFile: 50, flushIntervalMs: 3_600_000 };
  let s = await MessageStore.open(dir, opts);
  for (let i = 0; i < 120; i++) await s.put([msg("t", 0, `m${i}`, { keys: `same u${i}` })]);
  assert.ok(idxFiles().length >= 5, `${idxFiles().length} files`);
  const newest = (st: MessageStore) => st.queryByKey("t", "same", 64).map((m) => m.body.toString());
  const want = Array.from({ length: 64 }, (_, i) => `m${56 + i}`);
  assert.equal(newest(s), want);
  assert.equal(s.queryByKey("t", "u0", 4).map((m) => m.body.toString()), ["m0"], "in the oldest file");
  await s.close();
  s = await MessageStore.open(dir, opts);
  assert.is(s.recovery.replayedRecords, 0, "nothing rebuilt after a clean close");
  assert.equal(newest(s), want);
  for (let i = 0; i < 120; i++) assert.is(s.queryByKey("t", `u${i}`, 4).length, 1, `u${i}`);
  await s.close();
});

chains("retention removes index files whose records are all gone; the rest are still found", async () => {
  const s = await MessageStore.open(dir, { segmentBytes: 4096, keyIndexSlots: 16, keyIndexEntriesPerFile: 40, retentionBytes: 3 * 4096, flushIntervalMs: 3_600_000 });
  for (let i = 0; i < 400; i++) await s.put([msg("t", 0, `m${i}`.padEnd(60, "."), { keys: `k${i}` })]);
  const filesBefore = idxFiles().length;
  assert.ok(s.cleanExpired() > 0);
  const filesAfter = idxFiles().length;
  assert.ok(filesAfter < filesBefore, `${filesBefore} -> ${filesAfter}`);
  const kept = s.get("t", 0, s.queueRange("t", 0).min, 1).messages[0]!;
  const firstKept = Number(kept.keys.slice(1));
  for (let i = firstKept; i < 400; i++) assert.is(s.queryByKey("t", `k${i}`, 2).length, 1, `k${i}`);
  assert.is(s.queryByKey("t", "k0", 2).length, 0);
  await s.close();
});

chains.run();

const writes = suite("key index: writes");
writes.before.each(() => void (dir = tempDir()));
writes.after.each(() => removeDir(dir));

writes("a put writes no index entry of its own: entries go out when the buffer fills, or with the flush", () => {
  const k = new KeyIndex(dir);
  k.load();
  let n = 0;
  const restore = failFs("writeSync", "EIO", () => (n++, false));
  try {
    for (let i = 0; i < 4000; i++) k.add("t", `k${i}`, i);
    assert.is(n, 1, "only the new file's first header");
    for (let i = 4000; i < 4097; i++) k.add("t", `k${i}`, i);
    assert.is(n, 2, "the full buffer: one write of 4096 entries");
    k.flush(5000);
    assert.is(n, 4, "the rest, then the header");
    k.flush(5000);
    assert.is(n, 4, "nothing new: no write");
  } finally {
    restore();
  }
  assert.equal(k.get("t", "k4096"), [4096], "found before and after its write");
  k.abandon();
});

writes.run();
