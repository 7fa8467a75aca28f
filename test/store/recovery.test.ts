import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { MessageStore } from "../../src/store/message-store.js";
import { GetStatus } from "../../src/store/status.js";
import { commitLogFiles, many, removeDir, tempDir } from "./helpers.js";

let dir = "";
const open = () => MessageStore.open(dir, { segmentBytes: 4096 });
const bodies = (s: MessageStore, q = 0) => s.get("a", q, 0, 10_000).messages.map((m) => m.body.toString());
const lastSegment = () => path.join(dir, "commitlog", commitLogFiles(dir).at(-1)!);

const crash = suite("crash recovery");
crash.before.each(() => void (dir = tempDir()));
crash.after.each(() => removeDir(dir));

crash("kill -9 (no close): abort marker found, everything written is still there", async () => {
  const s = await open();
  await s.put(many("a", 0, 30));
  await s.put(many("a", 1, 30));
  s.simulateCrash();
  assert.ok(fs.existsSync(path.join(dir, "abort")));
  const again = await open();
  assert.is(again.recovery.abnormal, true);
  assert.is(again.recovery.truncatedBytes, 0);
  assert.equal(bodies(again, 0), many("a", 0, 30).map((m) => m.body.toString()));
  const r = await again.put(many("a", 0, 1, "after"));
  assert.is(r.results[0]!.queueOffset, 30, "queue offsets continue");
  await again.close();
  assert.not.ok(fs.existsSync(path.join(dir, "abort")), "clean close removes the marker");
  const third = await open();
  assert.is(third.recovery.abnormal, false);
  await third.close();
});

crash("a file cut mid-record: the torn record and everything after it go, earlier ones stay, their offsets are not reused", async () => {
  const s = await open();
  const r = await s.put(many("a", 0, 40));
  await s.flush(); // the queue's entries reach its file; then the disk loses the log's end
  s.simulateCrash();
  const file = lastSegment();
  const base = Number(path.basename(file));
  const victim = r.results.filter((x) => x.commitLogOffset >= base)[2]!;
  fs.truncateSync(file, victim.commitLogOffset - base + 10);
  const again = await open();
  assert.is(again.recovery.truncatedBytes, 10);
  assert.is(again.recovery.gapFilled?.from, victim.commitLogOffset, "the cut positions are filled with a gap record");
  assert.ok(again.maxPhysicalOffset >= r.results.at(-1)!.commitLogOffset + 1, "so no lost message's id is handed out again");
  assert.equal(bodies(again), many("a", 0, victim.queueOffset).map((m) => m.body.toString()));
  assert.equal(again.queueRange("a", 0), { min: 0, max: 40 }, "the lost messages' offsets stay taken");
  assert.equal(again.recovery.keptOffsets, [{ topic: "a", queueId: 0, from: victim.queueOffset, to: 40 }]);
  const next = await again.put(many("a", 0, 1, "new"));
  assert.is(next.results[0]!.queueOffset, 40, "a consumer that read a lost message cannot skip the new one");
  assert.ok(next.results[0]!.commitLogOffset > r.results.at(-1)!.commitLogOffset);
  await again.close();
  const third = await open();
  assert.equal(third.recovery.damaged, [], "gap records are ordinary records to the next recovery");
  assert.is(third.get("a", 0, 40, 1).messages[0]?.body.toString(), "new0");
  assert.is(third.queueRange("a", 0).max, 41);
  await third.close();
});

crash("a single flipped byte is caught by CRC; that record is reported, the ones after it stay", async () => {
  const s = await open();
  const r = await s.put(many("a", 0, 40));
  s.simulateCrash();
  const file = lastSegment();
  const base = Number(path.basename(file));
  const inLast = r.results.filter((x) => x.commitLogOffset >= base);
  const victim = inLast[1]!;
  const fd = fs.openSync(file, "r+");
  const b = Buffer.alloc(1);
  const at = victim.commitLogOffset - base + 70; // inside the body
  fs.readSync(fd, b, 0, 1, at);
  b[0]! ^= 0x20;
  fs.writeSync(fd, b, 0, 1, at);
  fs.closeSync(fd);
  const again = await open();
  assert.is(again.recovery.truncatedBytes, 0);
  assert.equal(again.recovery.damaged.map((d) => d.from), [victim.commitLogOffset]);
  assert.equal(bodies(again), many("a", 0, victim.queueOffset).map((m) => m.body.toString()));
  const got = again.get("a", 0, victim.queueOffset, 1);
  assert.is(got.status, GetStatus.CORRUPT_RECORD);
  assert.equal(again.get("a", 0, victim.queueOffset + 1, 100).messages.map((m) => m.body.toString()), many("a", 0, 40).slice(victim.queueOffset + 1).map((m) => m.body.toString()));
  await again.close();
});

crash("a torn tail after a clean close is also cut (normal open still checks the tail)", async () => {
  const s = await open();
  await s.put(many("a", 0, 5));
  await s.close();
  const file = lastSegment();
  fs.truncateSync(file, fs.statSync(file).size - 3);
  const again = await open();
  assert.is(again.recovery.abnormal, false);
  assert.equal(bodies(again), many("a", 0, 4).map((m) => m.body.toString()));
  await again.close();
});

const rebuild = suite("rebuilding consume queues");
rebuild.before.each(() => void (dir = tempDir()));
rebuild.after.each(() => removeDir(dir));

rebuild("all consume queue files deleted: rebuilt from the log", async () => {
  const s = await open();
  await s.put([...many("a", 0, 50), ...many("a", 3, 20), ...many("b", 1, 5)]);
  await s.close();
  fs.rmSync(path.join(dir, "consumequeue"), { recursive: true });
  const again = await open();
  assert.is(again.recovery.replayedRecords, 75);
  assert.equal(bodies(again, 0), many("a", 0, 50).map((m) => m.body.toString()));
  assert.equal(bodies(again, 3), many("a", 3, 20).map((m) => m.body.toString()));
  assert.equal(again.queueRange("b", 1), { min: 0, max: 5 });
  await again.close();
});

rebuild("one queue's directory deleted: that queue is rebuilt, the others untouched", async () => {
  const s = await open();
  await s.put([...many("a", 0, 10), ...many("b", 0, 10)]);
  await s.close();
  fs.rmSync(path.join(dir, "consumequeue", "b"), { recursive: true });
  const again = await open();
  assert.equal(again.queueRange("b", 0), { min: 0, max: 10 });
  assert.equal(again.queueRange("a", 0), { min: 0, max: 10 });
  assert.is(again.get("b", 0, 9, 1).messages[0]?.body.toString(), "m9");
  await again.close();
});

rebuild("after a crash, queues and key index catch up with records the checkpoint never saw", async () => {
  const s = await open();
  await s.put(many("a", 0, 10)); // open() wrote a checkpoint at 0; no flush since
  await s.put([{ topic: "a", queueId: 0, body: Buffer.from("keyed"), keys: "K1" }]);
  s.simulateCrash();
  fs.rmSync(path.join(dir, "index"), { recursive: true, force: true });
  const again = await open();
  assert.is(again.queueRange("a", 0).max, 11);
  assert.equal(again.queryByKey("a", "K1", 5).map((m) => m.body.toString()), ["keyed"]);
  await again.close();
});

crash.run();
rebuild.run();
