// Consume-queue files damaged while the commit log is intact: recovery
// notices (the queue manifest's recorded min and max, the files' shape, the
// first and last entries) and rebuilds the entries from the log, so no
// message becomes unreachable and no queue offset is handed out twice.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { MessageStore } from "../../src/store/message-store.js";
import { CQ_ENTRY_BYTES } from "../../src/store/consume-queue.js";
import { GetStatus } from "../../src/store/status.js";
import { many, removeDir, tempDir } from "./helpers.js";

const PER_FILE = 8;
let dir = "";
const open = () => MessageStore.open(dir, { segmentBytes: 64 << 10, cqEntriesPerFile: PER_FILE });
const queueDir = () => path.join(dir, "consumequeue", "a", "0");
const queueFiles = () => fs.readdirSync(queueDir()).filter((n) => /^\d{20}$/.test(n)).sort().map((n) => path.join(queueDir(), n));
const bodies = (s: MessageStore) => s.get("a", 0, s.queueRange("a", 0).min, 10_000).messages.map((m) => m.body.toString());
const sent = (n: number) => many("a", 0, n).map((m) => m.body.toString());

/** Zeroes bytes [from, to) of a file; negative offsets count from its end. */
function zero(file: string, from: number, to?: number): void {
  const buf = fs.readFileSync(file);
  buf.fill(0, from < 0 ? buf.length + from : from, to ?? buf.length);
  fs.writeFileSync(file, buf);
}

/** 20 messages in a/0 (three queue files), some in a/1, closed cleanly. */
async function filled(): Promise<void> {
  const s = await open();
  await s.put(many("a", 0, 20));
  await s.put(many("a", 1, 5));
  await s.close();
}

/** After the reopen: everything is back, a/0 was reported rebuilt, the next put takes offset 20. */
async function assertRepaired(): Promise<void> {
  const s = await open();
  try {
    assert.equal(s.queueRange("a", 0), { min: 0, max: 20 });
    assert.equal(bodies(s), sent(20));
    const rebuilt = s.recovery.rebuiltQueues.find((q) => q.topic === "a" && q.queueId === 0);
    assert.ok(rebuilt, `a/0 reported rebuilt: ${JSON.stringify(s.recovery.rebuiltQueues)}`);
    assert.ok(rebuilt.entries > 0);
    assert.not.ok(s.recovery.rebuiltQueues.some((q) => q.queueId === 1), "an intact queue is left alone");
    const next = await s.put(many("a", 0, 1, "next"));
    assert.is(next.results[0]!.queueOffset, 20, "no queue offset is reused");
  } finally {
    await s.close();
  }
}

const front = suite("zeroed entries at a queue's front");
front.before.each(() => void (dir = tempDir()));
front.after.each(() => removeDir(dir));

front("a zeroed first entry is rebuilt, not skipped as out of range", async () => {
  await filled();
  zero(queueFiles()[0]!, 0, CQ_ENTRY_BYTES);
  await assertRepaired();
});

front("several zeroed entries across the first file", async () => {
  await filled();
  zero(queueFiles()[0]!, 0, 5 * CQ_ENTRY_BYTES + 7);
  await assertRepaired();
});

front("the first file deleted", async () => {
  await filled();
  fs.rmSync(queueFiles()[0]!);
  await assertRepaired();
});

const end = suite("entries lost at a queue's end");
end.before.each(() => void (dir = tempDir()));
end.after.each(() => removeDir(dir));

end("a queue file cut by whole entries gets them back from the log", async () => {
  await filled();
  const last = queueFiles().at(-1)!;
  fs.truncateSync(last, fs.statSync(last).size - 2 * CQ_ENTRY_BYTES);
  await assertRepaired();
});

end("a torn last entry, trimmed at open, comes back from the log", async () => {
  await filled();
  const last = queueFiles().at(-1)!;
  fs.truncateSync(last, fs.statSync(last).size - 3);
  await assertRepaired();
});

end("the last file deleted", async () => {
  await filled();
  fs.rmSync(queueFiles().at(-1)!);
  await assertRepaired();
});

end("a zeroed last entry", async () => {
  await filled();
  zero(queueFiles().at(-1)!, -CQ_ENTRY_BYTES);
  await assertRepaired();
});

end("a manifest older than the checkpoint: replay starts where its ranges were taken", async () => {
  await filled();
  const file = path.join(dir, "config", "queues.json");
  const manifest = JSON.parse(fs.readFileSync(file, "utf8"));
  fs.writeFileSync(file, JSON.stringify({ ...manifest, dispatched: 0, queues: { ...manifest.queues, "a/0": [0, 10] } }));
  const last = queueFiles().at(-1)!;
  fs.truncateSync(last, fs.statSync(last).size - 2 * CQ_ENTRY_BYTES); // above the stale max: the range cannot tell
  const s = await open();
  assert.is(s.recovery.replayedFrom, 0);
  assert.equal(bodies(s), sent(20));
  await s.close();
});

const middle = suite("a middle queue file deleted or cut");
middle.before.each(() => void (dir = tempDir()));
middle.after.each(() => removeDir(dir));

middle("a deleted middle file is rebuilt", async () => {
  await filled();
  assert.is(queueFiles().length, 3);
  fs.rmSync(queueFiles()[1]!);
  await assertRepaired();
});

middle("a middle file cut short is rebuilt", async () => {
  await filled();
  fs.truncateSync(queueFiles()[1]!, 3 * CQ_ENTRY_BYTES + 5);
  await assertRepaired();
});

const clean = suite("what is not damage");
clean.before.each(() => void (dir = tempDir()));
clean.after.each(() => removeDir(dir));

clean("a clean restart replays and rebuilds nothing", async () => {
  await filled();
  const s = await open();
  assert.equal(s.recovery.rebuiltQueues, []);
  assert.is(s.recovery.replayedFrom, -1);
  assert.equal(bodies(s), sent(20));
  await s.close();
});

clean("a manifest in the old format (a list of queue keys) still opens", async () => {
  await filled();
  fs.writeFileSync(path.join(dir, "config", "queues.json"), JSON.stringify(["a/0", "a/1"]));
  const s = await open();
  assert.equal(s.recovery.rebuiltQueues, []);
  assert.equal(bodies(s), sent(20));
  await s.close();
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "config", "queues.json"), "utf8"));
  assert.equal(manifest.queues["a/0"], [0, 20], "rewritten with each queue's range");
});

clean("a hole in the middle of a queue is reported on read, and does not move the queue's min", async () => {
  await filled();
  zero(queueFiles()[1]!, 2 * CQ_ENTRY_BYTES, 3 * CQ_ENTRY_BYTES); // queue offset 10
  const s = await open();
  assert.equal(s.queueRange("a", 0), { min: 0, max: 20 });
  assert.is(s.get("a", 0, 0, 100).messages.length, 10, "the messages before the hole");
  const got = s.get("a", 0, 10, 5);
  assert.is(got.status, GetStatus.CORRUPT_RECORD);
  assert.equal([got.corrupt!.queueOffset, got.corrupt!.commitLogOffset], [10, -1]);
  assert.is(s.get("a", 0, 11, 100).messages.length, 9);
  await s.close();
});

clean("a min moved up by retention is not damage, even when queue files went with the log's head", async () => {
  const small = () => MessageStore.open(dir, { segmentBytes: 4096, retentionBytes: 4096, cqEntriesPerFile: PER_FILE });
  const s = await small();
  await s.put(many("a", 0, 200));
  assert.ok(s.cleanExpired() > 0);
  const range = s.queueRange("a", 0);
  assert.ok(range.min > PER_FILE, "whole queue files were deleted");
  await s.close();
  const again = await small();
  assert.equal(again.recovery.rebuiltQueues, []);
  assert.is(again.recovery.replayedFrom, -1);
  assert.equal(again.queueRange("a", 0), range);
  await again.close();
});

front.run();
end.run();
middle.run();
clean.run();
