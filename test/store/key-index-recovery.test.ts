// The key index written with each flush: a crash replays the log only
// from what the index files cover; a torn, damaged or stale file is found
// and the index rebuilt from the log; a lookup by key finds every stored message.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeHeader, HEADER_AT, HEADER_BYTES } from "../../src/store/index-file-layout.js";
import { MessageStore } from "../../src/store/message-store.js";
import { createLogger } from "../../src/runtime/log.js";
import { manualClock, msg, removeDir, tempDir } from "./helpers.js";

let dir = "";
const indexDir = () => path.join(dir, "index");
const indexFiles = () => fs.readdirSync(indexDir()).filter((n) => n.endsWith(".idx")).sort().map((n) => path.join(indexDir(), n));
const newest = () => indexFiles().at(-1)!;
const keyed = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => msg("t", i % 3, `${prefix}${i}`, { keys: `${prefix}${i} q${i % 3}` }));
function logged(): { lines: Array<{ level: string; msg: string }>; log: ReturnType<typeof createLogger> } {
  const lines: Array<{ level: string; msg: string }> = [];
  return { lines, log: createLogger({}, "debug", (l) => lines.push(JSON.parse(l) as { level: string; msg: string })) };
}

/** What the newest intact header copy of `file` says it covers (-1: none intact). */
export function fileCovers(file: string): number {
  const b = fs.readFileSync(file);
  const heads = HEADER_AT.map((at) => decodeHeader(b.subarray(at, at + HEADER_BYTES))).filter((h) => h !== undefined);
  return heads.sort((x, y) => y.seq - x.seq)[0]?.covers ?? -1;
}

/** A store that flushed once after `first` keyed records, then took `tail` unflushed, then died. */
async function crashAfterFlush(first: number, tail: number, replicated = false): Promise<{ covers: number; tailFrom: number }> {
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16, flushIntervalMs: 3_600_000, now: manualClock().now, replicated });
  await s.put(keyed(first, "a"));
  await s.flush();
  const covers = fileCovers(newest());
  const tailFrom = s.maxPhysicalOffset;
  if (tail > 0) await s.put(keyed(tail, "b"));
  s.simulateCrash();
  return { covers, tailFrom };
}

async function allFound(s: MessageStore, first: number, tail: number): Promise<void> {
  for (let i = 0; i < first; i++) assert.is(s.findByKey("t", `a${i}`, 4).messages.length, 1, `a${i}`);
  for (let i = 0; i < tail; i++) assert.is(s.findByKey("t", `b${i}`, 4).messages.length, 1, `b${i}`);
  // a key shared by many records: a lookup returns its newest MAX_PER_QUERY (64)
  assert.is(s.findByKey("t", "q0", 1000).messages.length, Math.min(64, Math.ceil(first / 3) + Math.ceil(tail / 3)));
}

const saved = suite("key index written with each flush");
saved.before.each(() => void (dir = tempDir()));
saved.after.each(() => removeDir(dir));

saved("a crash after a flush replays only the tail after it; every key is found", async () => {
  const { covers, tailFrom } = await crashAfterFlush(300, 40);
  assert.is(covers, tailFrom);
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16 });
  assert.is(s.recovery.abnormal, true);
  assert.is(s.recovery.replayedFrom, covers, "replay starts where the index file ends, not at the log's start");
  assert.is(s.recovery.replayedRecords, 40, "only the tail's records are read");
  await allFound(s, 300, 40);
  await s.close();
});

saved("a flush cut short (the file ends inside its entries): the older header is used, the rest replayed, said so", async () => {
  await crashAfterFlush(200, 20);
  fs.truncateSync(newest(), fs.statSync(newest()).size - 5);
  const { lines, log } = logged();
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16, log });
  assert.is(s.recovery.replayedFrom, 0, "the older header covered nothing yet");
  assert.is(s.recovery.replayedRecords, 220);
  assert.ok(lines.some((l) => l.level === "warn" && l.msg.startsWith("key index file's last write was cut short")), JSON.stringify(lines));
  await allFound(s, 200, 20);
  await s.close();
});

saved("a flipped byte in both header copies: the file is damaged, logged, and rebuilt from the log; nothing missed", async () => {
  await crashAfterFlush(200, 0);
  const buf = fs.readFileSync(newest());
  for (const at of HEADER_AT) buf[at + 30]! ^= 0x10; // inside `covers`
  fs.writeFileSync(newest(), buf);
  const { lines, log } = logged();
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16, log });
  assert.is(s.recovery.replayedFrom, 0);
  assert.ok(lines.some((l) => l.level === "error" && l.msg.startsWith("key index file damaged")), JSON.stringify(lines));
  await allFound(s, 200, 0);
  assert.is(s.stats().indexedKeys, 400, "each record's two keys, once");
  await s.close();
});

saved("a flipped byte in an entry fails the entries' checksum: not trusted, rebuilt; nothing missed", async () => {
  await crashAfterFlush(200, 0);
  const buf = fs.readFileSync(newest());
  buf[buf.length - 30]! ^= 0x10;
  fs.writeFileSync(newest(), buf);
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16 });
  assert.is(s.recovery.replayedFrom, 0);
  await allFound(s, 200, 0);
  await s.close();
});

saved("missing index files after a crash: rebuilt from the log's start, and said so", async () => {
  await crashAfterFlush(100, 10);
  for (const f of indexFiles()) fs.rmSync(f);
  const { lines, log } = logged();
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16, log });
  assert.is(s.recovery.replayedFrom, 0);
  assert.ok(lines.some((l) => l.msg.startsWith("no saved key index")));
  await allFound(s, 100, 10);
  await s.close();
});

saved("a truncation below the covered offset: the file then covers only up to the cut, and records later written there are found", async () => {
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16, flushIntervalMs: 3_600_000, replicated: true });
  const head = await s.put(keyed(50, "a"));
  const cutAt = head.results[25]!.commitLogOffset;
  await s.flush();
  assert.is(fileCovers(newest()), s.maxPhysicalOffset);
  s.truncateTo(cutAt);
  assert.is(fileCovers(newest()), cutAt, "the file no longer claims the records the cut removed");
  assert.is(s.stats().indexedKeys, 50, "25 records left, two keys each");
  await s.put(Array.from({ length: 10 }, (_, i) => msg("t", 0, `c${i}`, { keys: `c${i}` })));
  s.simulateCrash();
  const again = await MessageStore.open(dir, { segmentBytes: 1 << 16, replicated: true });
  assert.is(again.recovery.replayedFrom, cutAt);
  for (let i = 0; i < 10; i++) assert.is(again.findByKey("t", `c${i}`, 4).messages.length, 1, `c${i}`);
  for (let i = 0; i < 25; i++) assert.is(again.findByKey("t", `a${i}`, 4).messages.length, 1, `a${i}`);
  for (let i = 25; i < 50; i++) assert.is(again.findByKey("t", `a${i}`, 4).messages.length, 0, `a${i} was cut`);
  await again.close();
});

saved("the whole-map file of earlier versions (index/keys) is removed without a damage report", async () => {
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16 });
  await s.put(keyed(30, "a"));
  await s.close();
  for (const f of indexFiles()) fs.rmSync(f);
  const old = Buffer.alloc(16);
  old.writeUInt32BE(0x524b4932, 0); // "RKI2"
  fs.writeFileSync(path.join(indexDir(), "keys"), old);
  const { lines, log } = logged();
  const again = await MessageStore.open(dir, { segmentBytes: 1 << 16, log });
  assert.is(again.recovery.replayedFrom, 0);
  assert.not.ok(lines.some((l) => l.level === "error"), JSON.stringify(lines));
  assert.not.ok(fs.existsSync(path.join(indexDir(), "keys")));
  await allFound(again, 30, 0);
  await again.close();
});

saved("a log cut below what the index covers: its entries past the cut are dropped, later records there are found after the next crash", async () => {
  const { covers } = await crashAfterFlush(300, 0);
  const files = fs.readdirSync(path.join(dir, "commitlog")).sort();
  const last = path.join(dir, "commitlog", files.at(-1)!);
  fs.truncateSync(last, Math.floor(fs.statSync(last).size / 2)); // lost under the checkpoint: the disk, not the crash
  let s = await MessageStore.open(dir, { segmentBytes: 1 << 16 });
  assert.ok(s.recovery.tornTail !== null && s.recovery.tornTail.from < covers);
  let kept = 0;
  for (let i = 0; i < 300; i++) kept += s.findByKey("t", `a${i}`, 4).messages.length;
  assert.ok(kept > 0 && kept < 300);
  assert.is(s.stats().indexedKeys, 2 * kept, "no entry left for a record the cut removed");
  await s.put(Array.from({ length: 10 }, (_, i) => msg("t", 0, `c${i}`, { keys: `c${i}` })));
  s.simulateCrash();
  s = await MessageStore.open(dir, { segmentBytes: 1 << 16 });
  for (let i = 0; i < 10; i++) assert.is(s.findByKey("t", `c${i}`, 4).messages.length, 1, `c${i}`);
  await s.close();
});

saved.run();
