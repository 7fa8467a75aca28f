// The key index saved while the store runs: a crash replays the log only
// from the last save; a torn, damaged or stale saved file is found and the
// index rebuilt from the log; a lookup by key finds every stored message.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { readKeyFile } from "../../src/store/key-index-file.js";
import { KeyIndexSaver, SAVE_EVERY_BYTES, SAVE_EVERY_MS } from "../../src/store/key-index-saver.js";
import type { KeyIndex } from "../../src/store/key-index.js";
import { MessageStore } from "../../src/store/message-store.js";
import { createLogger } from "../../src/runtime/log.js";
import { waitUntil } from "../harness/wait.js";
import { manualClock, msg, removeDir, tempDir } from "./helpers.js";

let dir = "";
const keyFile = () => path.join(dir, "index", "keys");
const keyed = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => msg("t", i % 3, `${prefix}${i}`, { keys: `${prefix}${i} q${i % 3}` }));
function logged(): { lines: Array<{ level: string; msg: string }>; log: ReturnType<typeof createLogger> } {
  const lines: Array<{ level: string; msg: string }> = [];
  return { lines, log: createLogger({}, "debug", (l) => lines.push(JSON.parse(l) as { level: string; msg: string })) };
}

/** A store whose periodic save ran once after `first`, then took `tail` unsaved, then died. */
async function crashAfterSave(first: number, tail: number, replicated = false): Promise<{ covers: number; tailFrom: number }> {
  const clock = manualClock();
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16, flushIntervalMs: 5, now: clock.now, replicated });
  await s.put(keyed(first, "a"));
  clock.advance(SAVE_EVERY_MS);
  const saved = await waitUntil("the periodic key-index save", () => {
    const r = readKeyFile(dir);
    return "covers" in r && r.covers === s.maxPhysicalOffset && r;
  });
  const tailFrom = s.maxPhysicalOffset;
  if (tail > 0) await s.put(keyed(tail, "b"));
  s.simulateCrash();
  return { covers: saved.covers, tailFrom };
}

async function allFound(s: MessageStore, first: number, tail: number): Promise<void> {
  for (let i = 0; i < first; i++) assert.is(s.findByKey("t", `a${i}`, 4).messages.length, 1, `a${i}`);
  for (let i = 0; i < tail; i++) assert.is(s.findByKey("t", `b${i}`, 4).messages.length, 1, `b${i}`);
  // a key shared by many records keeps its newest offsets (perKey), as a rebuild would
  assert.is(s.findByKey("t", "q0", 1000).messages.length, Math.min(64, Math.ceil(first / 3) + Math.ceil(tail / 3)));
}

const saved = suite("key index saved periodically");
saved.before.each(() => void (dir = tempDir()));
saved.after.each(() => removeDir(dir));

saved("a crash after a periodic save replays only the tail after it; every key is found", async () => {
  const { covers, tailFrom } = await crashAfterSave(300, 40);
  assert.is(covers, tailFrom);
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16 });
  assert.is(s.recovery.abnormal, true);
  assert.is(s.recovery.replayedFrom, covers, "replay starts at the save, not the log's start");
  assert.is(s.recovery.replayedRecords, 40, "only the tail's records are read");
  await allFound(s, 300, 40);
  await s.close();
});

saved("a torn saved file is found, logged as damage and rebuilt from the log's start", async () => {
  await crashAfterSave(200, 20);
  fs.truncateSync(keyFile(), fs.statSync(keyFile()).size - 5);
  const { lines, log } = logged();
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16, log });
  assert.is(s.recovery.replayedFrom, 0);
  assert.is(s.recovery.replayedRecords, 220);
  assert.ok(lines.some((l) => l.level === "error" && l.msg.startsWith("key index file damaged")), JSON.stringify(lines));
  await allFound(s, 200, 20);
  await s.close();
});

saved("a flipped byte in the saved file fails its checksum: rebuilt, nothing missed", async () => {
  await crashAfterSave(200, 0);
  const buf = fs.readFileSync(keyFile());
  buf[40]! ^= 0x10; // inside the first entries: a key or an offset
  fs.writeFileSync(keyFile(), buf);
  assert.equal(readKeyFile(dir), { problem: "damaged", reason: "checksum mismatch" });
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16 });
  assert.is(s.recovery.replayedFrom, 0);
  await allFound(s, 200, 0);
  await s.close();
});

saved("a missing file after a crash: rebuilt from the log's start, and said so", async () => {
  await crashAfterSave(100, 10);
  fs.rmSync(keyFile());
  const { lines, log } = logged();
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16, log });
  assert.is(s.recovery.replayedFrom, 0);
  assert.ok(lines.some((l) => l.msg.startsWith("no saved key index")));
  await allFound(s, 100, 10);
  await s.close();
});

saved("a truncation below the saved offset removes the file: records later written there are not hidden", async () => {
  const clock = manualClock();
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16, flushIntervalMs: 5, now: clock.now, replicated: true });
  const head = await s.put(keyed(50, "a"));
  const cutAt = head.results[25]!.commitLogOffset;
  clock.advance(SAVE_EVERY_MS);
  await waitUntil("the periodic key-index save", () => fs.existsSync(keyFile()));
  s.truncateTo(cutAt);
  assert.not.ok(fs.existsSync(keyFile()), "the file claimed records the cut removed");
  await s.put(Array.from({ length: 10 }, (_, i) => msg("t", 0, `c${i}`, { keys: `c${i}` })));
  s.simulateCrash();
  const again = await MessageStore.open(dir, { segmentBytes: 1 << 16, replicated: true });
  for (let i = 0; i < 10; i++) assert.is(again.findByKey("t", `c${i}`, 4).messages.length, 1, `c${i}`);
  for (let i = 0; i < 25; i++) assert.is(again.findByKey("t", `a${i}`, 4).messages.length, 1, `a${i}`);
  await again.close();
});

saved("a file in the format before the checksum is replaced without a damage report", async () => {
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 16 });
  await s.put(keyed(30, "a"));
  await s.close();
  const old = Buffer.alloc(16);
  old.writeUInt32BE(0x524b4931, 0); // "RKI1", an empty map
  fs.writeFileSync(keyFile(), old);
  const { lines, log } = logged();
  const again = await MessageStore.open(dir, { segmentBytes: 1 << 16, log });
  assert.is(again.recovery.replayedFrom, 0);
  assert.not.ok(lines.some((l) => l.level === "error"), JSON.stringify(lines));
  await allFound(again, 30, 0);
  await again.close();
});

saved("a log cut below what the saved file claims: the file is dropped, later records there are found after the next crash", async () => {
  const { covers } = await crashAfterSave(300, 0);
  const files = fs.readdirSync(path.join(dir, "commitlog")).sort();
  const last = path.join(dir, "commitlog", files.at(-1)!);
  fs.truncateSync(last, Math.floor(fs.statSync(last).size / 2)); // lost under the checkpoint: the disk, not the crash
  let s = await MessageStore.open(dir, { segmentBytes: 1 << 16 });
  assert.ok(s.recovery.tornTail !== null && s.recovery.tornTail.from < covers);
  assert.not.ok(fs.existsSync(keyFile()), "a file claiming offsets the log no longer holds is removed");
  await s.put(Array.from({ length: 10 }, (_, i) => msg("t", 0, `c${i}`, { keys: `c${i}` })));
  s.simulateCrash();
  s = await MessageStore.open(dir, { segmentBytes: 1 << 16 });
  for (let i = 0; i < 10; i++) assert.is(s.findByKey("t", `c${i}`, 4).messages.length, 1, `c${i}`);
  await s.close();
});

saved.run();

const cadence = suite("key index save cadence");

cadence("every SAVE_EVERY_MS, or after SAVE_EVERY_BYTES of log; one at a time; nothing new, no save", async () => {
  const calls: number[] = [];
  let finish: (ok: boolean) => void = () => {};
  const keys = { saveAsync: (_d: string, covers: number) => (calls.push(covers), new Promise<boolean>((r) => (finish = r))) } as unknown as KeyIndex;
  const saver = new KeyIndexSaver("/nonexistent", keys, 0, -1);
  assert.is(await saver.maybeSave(SAVE_EVERY_MS - 1, 1000), false, "not due yet");
  const first = saver.maybeSave(SAVE_EVERY_MS, 1000);
  assert.is(await saver.maybeSave(2 * SAVE_EVERY_MS, 2000), false, "one save at a time");
  finish(true);
  assert.is(await first, true);
  assert.is(await saver.maybeSave(3 * SAVE_EVERY_MS, 1000), false, "the log did not grow");
  const bytes = saver.maybeSave(SAVE_EVERY_MS + 1, 1000 + SAVE_EVERY_BYTES);
  finish(true);
  assert.is(await bytes, true, "enough log appended: due before the interval");
  saver.cut(500); // a truncation below the file's claim: the next save may claim less than before
  const after = saver.maybeSave(10 * SAVE_EVERY_MS, 600);
  finish(true);
  assert.is(await after, true);
  assert.equal(calls, [1000, 1000 + SAVE_EVERY_BYTES, 600]);
});

cadence.run();
