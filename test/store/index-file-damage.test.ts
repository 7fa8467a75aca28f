// Damaged or torn key-index files: whatever is cut or flipped, a lookup
// never returns another key's record, nothing is counted twice, and what
// the files no longer vouch for is rebuilt from the commit log.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeHeader, entriesAt, ENTRY_BYTES, HEADER_AT, HEADER_BYTES, slotsAt } from "../../src/store/index-file-layout.js";
import { MessageStore } from "../../src/store/message-store.js";
import { createLogger } from "../../src/runtime/log.js";
import { msg, removeDir, tempDir } from "./helpers.js";

let dir = "";
const SLOTS = 64;
const opts = { segmentBytes: 1 << 16, keyIndexSlots: SLOTS, flushIntervalMs: 3_600_000 };
const idx = () => fs.readdirSync(path.join(dir, "index")).filter((n) => n.endsWith(".idx")).sort().map((n) => path.join(dir, "index", n));
const keyed = (from: number, n: number) => Array.from({ length: n }, (_, i) => msg("t", i % 2, `m${from + i}`, { keys: `k${from + i} g${(from + i) % 7}` }));

function headers(file: string) {
  const b = fs.readFileSync(file);
  return HEADER_AT.map((at) => ({ at, h: decodeHeader(b.subarray(at, at + HEADER_BYTES)) }));
}
function logged() {
  const lines: Array<{ level: string; msg: string }> = [];
  return { lines, log: createLogger({}, "debug", (l) => lines.push(JSON.parse(l) as { level: string; msg: string })) };
}

/** Every key of records 0..n-1 gives exactly its own record, and the index holds each record's two keys once. */
function exact(s: MessageStore, n: number): void {
  for (let i = 0; i < n; i++) assert.equal(s.queryByKey("t", `k${i}`, 4).map((m) => m.body.toString()), [`m${i}`], `k${i}`);
  for (const m of s.queryByKey("t", "g3", 64)) assert.ok(m.keys.split(" ").includes("g3"), m.keys);
  assert.is(s.stats().indexedKeys, 2 * n, "each record's two keys, once");
}

/** 100 keyed records flushed, 60 more flushed, then a crash; returns the first flush's covered offset. */
async function twoFlushes(extra = {}): Promise<number> {
  const s = await MessageStore.open(dir, { ...opts, ...extra });
  await s.put(keyed(0, 100));
  await s.flush();
  const first = s.maxPhysicalOffset;
  await s.put(keyed(100, 60));
  await s.flush();
  s.simulateCrash();
  return first;
}

const torn = suite("key index: torn writes");
torn.before.each(() => void (dir = tempDir()));
torn.after.each(() => removeDir(dir));

torn("the newest header copy torn: the older one is used, and replay starts where it ends", async () => {
  const first = await twoFlushes();
  const file = idx().at(-1)!;
  const newest = headers(file).filter((x) => x.h).sort((a, b) => b.h!.seq - a.h!.seq)[0]!;
  const fd = fs.openSync(file, "r+");
  fs.writeSync(fd, Buffer.alloc(20), 0, 20, newest.at + 30); // half a header
  fs.closeSync(fd);
  const s = await MessageStore.open(dir, opts);
  assert.is(s.recovery.replayedFrom, first);
  exact(s, 160);
  await s.close();
});

torn("kill -9 in the middle of a flush's write: wherever the file is cut, no wrong offset and nothing twice", async () => {
  const first = await twoFlushes();
  const saved = tempDir();
  fs.cpSync(dir, saved, { recursive: true });
  const size = fs.statSync(idx().at(-1)!).size;
  const secondFrom = entriesAt(SLOTS) + 200 * ENTRY_BYTES; // where the second flush's entries begin
  try {
    for (const cut of [secondFrom, secondFrom + 7, secondFrom + 20 * 33 + 19, size - ENTRY_BYTES, size - 1]) {
      removeDir(dir);
      fs.cpSync(saved, dir, { recursive: true });
      fs.truncateSync(idx().at(-1)!, cut);
      const s = await MessageStore.open(dir, opts);
      assert.is(s.recovery.replayedFrom, first, `cut at ${cut}`);
      exact(s, 160);
      await s.close();
    }
  } finally {
    removeDir(saved);
  }
});

torn("garbage in the entries of the last write: its header is not trusted; the older one and the log give every key", async () => {
  const first = await twoFlushes();
  const file = idx().at(-1)!;
  const fd = fs.openSync(file, "r+");
  // a plausible entry: k5's hash is not needed, any bytes must fail the entries' checksum
  fs.writeSync(fd, Buffer.alloc(ENTRY_BYTES * 3, 0xab), 0, ENTRY_BYTES * 3, entriesAt(SLOTS) + 250 * ENTRY_BYTES);
  fs.closeSync(fd);
  const s = await MessageStore.open(dir, opts);
  assert.is(s.recovery.replayedFrom, first);
  exact(s, 160);
  await s.close();
});

torn.run();

const sealed = suite("key index: damaged sealed files");
sealed.before.each(() => void (dir = tempDir()));
sealed.after.each(() => removeDir(dir));
const small = { ...opts, keyIndexEntriesPerFile: 60 };

sealed("a sealed file's slot page damaged: lookups skip that file and say so once; other files still answer", async () => {
  await twoFlushes(small);
  const oldest = idx()[0]!;
  const b = fs.readFileSync(oldest);
  b.fill(0x5a, slotsAt(SLOTS), slotsAt(SLOTS) + SLOTS * 4);
  fs.writeFileSync(oldest, b);
  const { lines, log } = logged();
  const s = await MessageStore.open(dir, { ...small, log });
  assert.is(s.recovery.replayedRecords, 0, "the page CRCs are checked on lookup, not at open");
  for (let i = 0; i < 160; i++) {
    const got = s.queryByKey("t", `k${i}`, 4).map((m) => m.body.toString());
    assert.ok(got.length === 0 || (got.length === 1 && got[0] === `m${i}`), `k${i}: ${got.join()}`);
    if (i >= 30) assert.equal(got, [`m${i}`], `k${i} is in a newer file`);
  }
  assert.is(lines.filter((l) => l.level === "error" && l.msg.startsWith("key index file damaged")).length, 1);
  await s.close();
});

sealed("a sealed file with both headers damaged: it and newer files are rebuilt from the log, nothing twice", async () => {
  await twoFlushes(small);
  const files = idx();
  assert.ok(files.length >= 4, `${files.length} files`);
  const victim = files[1]!;
  const b = fs.readFileSync(victim);
  for (const at of HEADER_AT) b[at + 9]! ^= 0xff;
  fs.writeFileSync(victim, b);
  const { lines, log } = logged();
  const s = await MessageStore.open(dir, { ...small, log });
  assert.ok(lines.some((l) => l.level === "error" && l.msg.startsWith("key index file damaged")), JSON.stringify(lines));
  assert.ok(s.recovery.replayedFrom > 0, "the oldest file still vouches for its records");
  exact(s, 160);
  await s.close();
});

sealed("a sealed file cut short: found at open, rebuilt from the log", async () => {
  await twoFlushes(small);
  const victim = idx()[0]!;
  fs.truncateSync(victim, fs.statSync(victim).size - 1);
  const s = await MessageStore.open(dir, small);
  assert.is(s.recovery.replayedFrom, 0);
  exact(s, 160);
  await s.close();
});

sealed.run();
