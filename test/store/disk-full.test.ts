// A full disk: puts are refused before anything is written, reads go on,
// and the store opens, flushes and closes without throwing or piling up
// temp files; each change of state is logged once.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { createLogger } from "../../src/runtime/log.js";
import { writeFileAtomicAsync } from "../../src/store/atomic-file.js";
import type { DiskUsage } from "../../src/store/disk-guard.js";
import { MessageStore } from "../../src/store/message-store.js";
import { PutStatus } from "../../src/store/status.js";
import { TopicTable } from "../../src/store/topic-config.js";
import { failFs } from "./fault-fs.js";
import { TAIL_ENTRIES } from "../../src/store/queue-tail.js";
import { manualClock, many, msg, removeDir, tempDir } from "./helpers.js";

let dir = "";
function logged(): { lines: Array<{ level: string; msg: string }>; log: ReturnType<typeof createLogger> } {
  const lines: Array<{ level: string; msg: string }> = [];
  return { lines, log: createLogger({}, "debug", (l) => lines.push(JSON.parse(l) as { level: string; msg: string })) };
}

const full = suite("disk fill level");
full.before.each(() => void (dir = tempDir()));
full.after.each(() => removeDir(dir));

full("above diskMaxUsedRatio puts get DISK_FULL and nothing is written; below it they succeed; each change logged once", async () => {
  const clock = manualClock();
  let usage: DiskUsage = { usedRatio: 0.5, freeBytes: 1 << 30 };
  let statfsCalls = 0;
  const { lines, log } = logged();
  const s = await MessageStore.open(dir, { now: clock.now, log, diskUsage: () => (statfsCalls++, usage) });
  await s.put(many("t", 0, 2));

  usage = { usedRatio: 0.95, freeBytes: 1 << 20 };
  assert.is((await s.put([msg("t", 0, "cached")])).status, PutStatus.PUT_OK, "the reading is cached for 100 ms");
  const end = s.maxPhysicalOffset;
  clock.advance(100);
  const before = statfsCalls;
  for (let i = 0; i < 50; i++) {
    const r = await s.put([msg("t", 0, `refused${i}`)]);
    assert.is(r.status, PutStatus.DISK_FULL);
    assert.is(r.results[0]!.queueOffset, -1);
  }
  assert.is(statfsCalls - before, 1, "one statfs for 50 puts within 100 ms");
  assert.is(s.maxPhysicalOffset, end, "nothing written");
  assert.is(s.queueRange("t", 0).max, 3);
  assert.equal(s.stats().disk, { usedRatio: 0.95, full: true });
  assert.is(s.get("t", 0, 0, 10).messages.length, 3, "reads go on");

  clock.advance(500);
  await s.put([msg("t", 0, "still refused")]);
  usage = { usedRatio: 0.6, freeBytes: 1 << 30 };
  clock.advance(100);
  assert.is((await s.put([msg("t", 0, "back")])).status, PutStatus.PUT_OK);
  assert.is(s.stats().disk.full, false);
  const changes = lines.filter((l) => l.msg.startsWith("disk"));
  assert.equal(changes.map((l) => l.msg), ["disk full: refusing writes", "disk has room again: accepting writes"]);
  await s.close();
});

full("diskMinFreeBytes refuses on free space, whatever the ratio", async () => {
  const s = await MessageStore.open(dir, { diskMinFreeBytes: 1 << 20, diskUsage: () => ({ usedRatio: 0.1, freeBytes: 1000 }) });
  assert.is((await s.put([msg("t", 0, "x")])).status, PutStatus.DISK_FULL);
  assert.is(s.stats().messages, 0);
  await s.close();
});

const files = suite("state files on a full disk");
files.before.each(() => void (dir = tempDir()));
files.after.each(() => removeDir(dir));

files("a failed atomic write leaves no temp file; stale ones are swept at open", async () => {
  const target = path.join(dir, "state");
  fs.mkdirSync(path.join(target, "occupied"), { recursive: true }); // rename over a non-empty folder fails
  for (let i = 0; i < 5; i++) await writeFileAtomicAsync(target, "x").catch(() => {});
  assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith(".tmp")), []);

  const store = path.join(dir, "store");
  fs.mkdirSync(path.join(store, "config"), { recursive: true });
  fs.writeFileSync(path.join(store, "checkpoint.7.tmp"), "{");
  fs.writeFileSync(path.join(store, "config", "queues.json.3.tmp"), "[");
  const s = await MessageStore.open(store);
  assert.not.ok(fs.existsSync(path.join(store, "checkpoint.7.tmp")));
  assert.not.ok(fs.existsSync(path.join(store, "config", "queues.json.3.tmp")));
  await s.close();
});

files("a checkpoint that cannot be written: logged once, open and close do not throw, the abort marker stays", async () => {
  const { lines, log } = logged();
  fs.mkdirSync(path.join(dir, "checkpoint", "occupied"), { recursive: true });
  const s = await MessageStore.open(dir, { log });
  await s.put(many("t", 0, 5));
  for (let i = 0; i < 10; i++) assert.is(await s.flush(), false);
  await s.close();
  const failures = lines.filter((l) => l.msg === "checkpoint cannot be written");
  assert.is(failures.length, 1, JSON.stringify(lines));
  assert.ok(fs.existsSync(path.join(dir, "abort")), "the next open recovers as after a crash");
  assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith(".tmp")), []);

  fs.rmSync(path.join(dir, "checkpoint"), { recursive: true });
  const again = await MessageStore.open(dir, { log });
  assert.ok(again.recovery.abnormal);
  assert.is(again.get("t", 0, 0, 10).messages.length, 5);
  await again.close();
  assert.not.ok(fs.existsSync(path.join(dir, "abort")));
});

files("a topic table that cannot be saved is not changed in memory either", () => {
  const table = TopicTable.open(dir);
  table.put({ topic: "kept", readQueues: 4, writeQueues: 4, perm: "rw" });
  const file = path.join(dir, "config", "topics.json");
  fs.rmSync(file);
  fs.mkdirSync(path.join(file, "occupied"), { recursive: true });
  assert.throws(() => table.put({ topic: "new", readQueues: 4, writeQueues: 4, perm: "rw" }));
  assert.throws(() => table.remove("kept"));
  assert.equal(table.all().map((t) => t.topic), ["kept"]);
  assert.equal(fs.readdirSync(path.join(dir, "config")), ["topics.json"], "no temp file left");
});

files("recovery that must rebuild queues on a full disk fails open with what to do, and lets go of the folder", async () => {
  const s = await MessageStore.open(dir);
  // more entries than a queue's in-memory tail holds: rebuilding them must write (fewer would wait in memory)
  await s.put(many("a", 0, TAIL_ENTRIES + 20));
  s.simulateCrash();
  fs.rmSync(path.join(dir, "consumequeue"), { recursive: true });
  const restore = failFs("writeSync", "ENOSPC", () => true);
  let err: unknown;
  try {
    await MessageStore.open(dir);
  } catch (e) {
    err = e;
  } finally {
    restore();
  }
  assert.match(String(err), /the disk is full and recovery must write to it .*free some space, then start the broker again/);
  const again = await MessageStore.open(dir); // the lock was released
  assert.is(again.queueRange("a", 0).max, TAIL_ENTRIES + 20, "with room, the queues are rebuilt");
  await again.close();
});

full.run();
files.run();
