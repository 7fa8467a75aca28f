// Damage found, reported and contained: a bad record in the middle of the
// log never costs the good records after it; reads name the damaged one.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { MessageStore } from "../../src/store/message-store.js";
import { GetStatus, LookupStatus } from "../../src/store/status.js";
import { createLogger } from "../../src/runtime/log.js";
import type { PutMessageResult } from "../../src/store/put-batch.js";
import { encodedSize } from "../../src/store/record.js";
import { many, removeDir, tempDir } from "./helpers.js";

let dir = "";
let lines: Array<Record<string, unknown>> = [];
const log = createLogger({}, "debug", (l) => void lines.push(JSON.parse(l) as Record<string, unknown>));
const fresh = () => {
  dir = tempDir();
  lines = [];
};
const open = () => MessageStore.open(dir, { segmentBytes: 64 << 10, log });

/** The segment file holding commit-log offset `at`, and the position in it. */
function where(at: number): { file: string; pos: number } {
  const names = fs.readdirSync(path.join(dir, "commitlog")).sort();
  const name = names.filter((n) => Number(n) <= at).at(-1)!;
  return { file: path.join(dir, "commitlog", name), pos: at - Number(name) };
}
function patch(at: number, bytes: (old: Buffer) => Buffer, len = 1): void {
  const { file, pos } = where(at);
  const fd = fs.openSync(file, "r+");
  const b = Buffer.alloc(len);
  fs.readSync(fd, b, 0, len, pos);
  fs.writeSync(fd, bytes(b), 0, len, pos);
  fs.closeSync(fd);
}
const flip = (at: number) => patch(at, (b) => Buffer.from([b[0]! ^ 0x40]));
function cutTail(n: number): void {
  const names = fs.readdirSync(path.join(dir, "commitlog")).sort();
  const file = path.join(dir, "commitlog", names.at(-1)!);
  fs.truncateSync(file, fs.statSync(file).size - n);
}
/** Reads a queue to its end, stepping over damage as a consumer that reports it would. */
function readAll(s: MessageStore, topic: string, q: number) {
  const bodies: string[] = [];
  const corrupt: number[] = [];
  for (let offset = 0; ; ) {
    const got = s.get(topic, q, offset, 256);
    if (got.status === GetStatus.CORRUPT_RECORD) {
      corrupt.push(got.corrupt!.queueOffset);
      offset = got.corrupt!.nextOffset;
      continue;
    }
    if (got.status !== GetStatus.FOUND) return { bodies, corrupt };
    bodies.push(...got.messages.map((m) => m.body.toString()));
    offset = got.nextOffset;
  }
}
const expected = (n: number, skip: number[] = []) => many("a", 0, n).map((m) => m.body.toString()).filter((_, i) => !skip.includes(i));

const middle = suite("damage in the middle of the log");
middle.before.each(fresh);
middle.after.each(() => removeDir(dir));

middle("case 1: one flipped record, then a torn tail, costs only those two records", async () => {
  let s = await open();
  const first = (await s.put(many("a", 0, 1000))).results;
  await s.close();
  const victim = first[499]!;
  flip(victim.commitLogOffset + 70); // inside the body
  s = await open();
  assert.is(s.recovery.checkedFrom, s.maxPhysicalOffset, "a clean restart checks nothing already verified");
  const rest = (await s.put(many("a", 0, 1000).map((m, i) => ({ ...m, body: Buffer.from(`m${1000 + i}`) })))).results;
  await s.close();
  cutTail(5);
  lines = [];
  s = await open();
  const r = s.recovery;
  const last = rest.at(-1)!;
  assert.equal(r.damaged.map((d) => d.from), [victim.commitLogOffset], "the flipped record is found");
  assert.is(r.damaged[0]!.bytes, encodedSize(many("a", 0, 1000)[499]!), "exactly the one record");
  assert.is(r.tornTail?.from, last.commitLogOffset);
  assert.is(r.tornTail?.first?.queueOffset, 1999, "the torn record is named");
  assert.equal(s.recovery.gapFilled?.from, last.commitLogOffset, "the cut positions are filled, not reused");
  assert.ok(s.maxPhysicalOffset >= r.tornTail!.to, "past everything the lost tail held");
  assert.is(r.truncatedBytes, r.tornTail!.bytes - 5, "what was left of it in the file; the rest was cut before");
  const { bodies, corrupt } = readAll(s, "a", 0);
  assert.equal(corrupt, [499, 1999], "both reported by queue offset; the cut one's offset is kept, not reused");
  assert.is(bodies.length, 1998, "every other acknowledged message is readable");
  assert.equal(bodies, expected(1999, [499]));
  assert.equal(r.keptOffsets, [{ topic: "a", queueId: 0, from: 1999, to: 2000 }]);
  const after = (await s.put(many("a", 0, 1))).results[0]!;
  assert.is(after.queueOffset, 2000, "the next message comes after the old end");
  assert.ok(after.commitLogOffset >= r.tornTail!.to, "and takes no lost message's id");
  assert.is(s.lookupStatus(last.commitLogOffset).status, LookupStatus.NOT_FOUND, "the lost id names nothing");
  const errors = lines.filter((l) => l.level === "error");
  assert.ok(errors.some((l) => l.from === victim.commitLogOffset && l.bytes === r.damaged[0]!.bytes), "damage logged with its bytes");
  assert.ok(errors.some((l) => l.msg === "commit log torn tail cut" && l.truncatedBytes === r.truncatedBytes), "truncation logged");
  const index = fs.readFileSync(path.join(dir, "quarantine", "index.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(index.map((e: { kind: string }) => e.kind).sort(), ["damaged", "torn"]);
  const kept = fs.readFileSync(path.join(dir, "quarantine", index.find((e: { kind: string }) => e.kind === "damaged").file));
  assert.is(kept.length, r.damaged[0]!.bytes, "the damaged bytes are copied aside");
  assert.equal(s.stats().damaged, { ranges: 2, bytes: r.damaged[0]!.bytes + r.tornTail!.bytes });
  await s.close();
});

middle("a damaged length field: the scan resynchronizes on the next record", async () => {
  let s = await open();
  const res = (await s.put(many("a", 0, 300))).results;
  s.simulateCrash();
  patch(res[100]!.commitLogOffset, () => Buffer.from([0x7f, 0, 0, 0]), 4);
  s = await open();
  assert.equal(s.recovery.damaged, [{ from: res[100]!.commitLogOffset, to: res[101]!.commitLogOffset, bytes: res[101]!.commitLogOffset - res[100]!.commitLogOffset }]);
  assert.is(s.recovery.truncatedBytes, 0);
  const { bodies, corrupt } = readAll(s, "a", 0);
  assert.equal(corrupt, [100]);
  assert.equal(bodies, expected(300, [100]));
  await s.close();
});

middle("a zeroed run of records in a crashed log: one range, everything after it kept", async () => {
  let s = await open();
  const res = (await s.put(many("a", 0, 300))).results;
  s.simulateCrash();
  const from = res[50]!.commitLogOffset + 10;
  const to = res[60]!.commitLogOffset + 5;
  patch(from, () => Buffer.alloc(to - from), to - from);
  s = await open();
  assert.equal(s.recovery.damaged.map((d) => [d.from, d.to]), [[res[50]!.commitLogOffset, res[61]!.commitLogOffset]]);
  const { bodies, corrupt } = readAll(s, "a", 0);
  assert.equal(corrupt, [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60]);
  assert.equal(bodies, expected(300, corrupt));
  await s.close();
});

middle("garbage after the last good record of a crashed log is a torn tail: cut and quarantined", async () => {
  let s = await open();
  const res = (await s.put(many("a", 0, 20))).results;
  s.simulateCrash();
  const { file } = where(res.at(-1)!.commitLogOffset);
  fs.appendFileSync(file, Buffer.alloc(37, 0xab));
  s = await open();
  assert.is(s.recovery.truncatedBytes, 37);
  assert.equal(s.recovery.damaged, []);
  assert.is(s.recovery.tornTail?.first, null);
  assert.equal(readAll(s, "a", 0).bodies, expected(20));
  assert.ok(fs.readdirSync(path.join(dir, "quarantine")).some((n) => n.endsWith("-37.bin")));
  await s.close();
});

middle("a checkpoint claiming a far end bounds the gap recovery writes over a cut tail", async () => {
  let s = await open();
  await s.put(many("a", 0, 50));
  await s.close();
  const cp = JSON.parse(fs.readFileSync(path.join(dir, "checkpoint"), "utf8")) as Record<string, number>;
  fs.writeFileSync(path.join(dir, "checkpoint"), JSON.stringify({ ...cp, commitLog: 1e12 }));
  s = await open();
  assert.ok(s.recovery.gapFilled !== null && s.recovery.gapFilled.bytes <= 4 * (64 << 10), `gap of ${s.recovery.gapFilled?.bytes} bytes`);
  assert.equal(readAll(s, "a", 0).bodies, expected(50), "nothing real was touched");
  await s.close();
});

middle("a queue offset damaged after it was verified cannot send a rebuilt queue to a wild offset", async () => {
  let s = await open();
  const res = (await s.put(many("a", 0, 50))).results;
  await s.close();
  flip(res[20]!.commitLogOffset + 36); // bit 30 of record 20's queue offset: 2^30 entries of holes if trusted
  fs.rmSync(path.join(dir, "consumequeue"), { recursive: true }); // rebuilt from the log, past the verified point
  s = await open();
  assert.is(s.queueRange("a", 0).max, 50, "the queue ends where its records end");
  assert.ok(s.recovery.damaged.some((d) => d.from === res[20]!.commitLogOffset), "the record is reported");
  const { bodies, corrupt } = readAll(s, "a", 0);
  assert.equal(corrupt, [20]);
  assert.equal(bodies, expected(50, [20]));
  await s.close();
  const bytes = fs.readdirSync(path.join(dir, "consumequeue", "a", "0")).reduce((n, f) => n + fs.statSync(path.join(dir, "consumequeue", "a", "0", f)).size, 0);
  assert.is(bytes, 50 * 20);
});

const reads = suite("reads that meet a damaged record");
reads.before.each(fresh);
reads.after.each(() => removeDir(dir));

async function withVictim(): Promise<{ s: MessageStore; res: PutMessageResult[] }> {
  const s0 = await open();
  const res = (await s0.put(many("a", 0, 10).map((m, i) => ({ ...m, keys: `k${i}` })))).results;
  await s0.close();
  flip(res[4]!.commitLogOffset + 75); // case 2: covered by the checkpoint, so recovery trusts it
  return { s: await open(), res };
}

reads("case 2: messages before it come FOUND, a get at it answers CORRUPT_RECORD naming it", async () => {
  const { s, res } = await withVictim();
  assert.equal(s.recovery.damaged, []);
  const before = s.get("a", 0, 0, 32);
  assert.is(before.status, GetStatus.FOUND);
  assert.is(before.messages.length, 4);
  assert.is(before.nextOffset, 4, "stops at the damaged record, does not skip it");
  const at = s.get("a", 0, 4, 32);
  assert.is(at.status, GetStatus.CORRUPT_RECORD);
  assert.is(at.nextOffset, 4);
  assert.equal(at.corrupt, { topic: "a", queueId: 0, queueOffset: 4, commitLogOffset: res[4]!.commitLogOffset, size: res[5]!.commitLogOffset - res[4]!.commitLogOffset, nextOffset: 5 });
  const raw = s.get("a", 0, 4, 32, { raw: true });
  assert.is(raw.status, GetStatus.CORRUPT_RECORD, "binary reads too");
  assert.is(raw.corrupt?.queueOffset, 4);
  assert.is(s.get("a", 0, 5, 32).messages.length, 5, "and after it all is readable");
  assert.is(s.stats().corruptReads, 2);
  await s.close();
});

reads("lookups tell a damaged record from a missing one", async () => {
  const { s, res } = await withVictim();
  const bad = s.lookupStatus(res[4]!.commitLogOffset);
  assert.is(bad.status, LookupStatus.CORRUPT_RECORD);
  assert.is(bad.status === LookupStatus.CORRUPT_RECORD && bad.corrupt.queueOffset, 4);
  assert.is(s.lookupStatus(res[4]!.commitLogOffset + 1).status, LookupStatus.NOT_FOUND);
  assert.is(s.lookupStatus(res[3]!.commitLogOffset).status, LookupStatus.FOUND);
  const byKey = s.findByKey("a", "k4", 5);
  assert.equal(byKey.messages, []);
  assert.equal(byKey.corrupt.map((c) => c.commitLogOffset), [res[4]!.commitLogOffset]);
  await s.close();
});

reads("a queue entry pointing at another record is damage too", async () => {
  const s0 = await open();
  await s0.put([...many("a", 0, 3), ...many("a", 1, 3)]);
  await s0.close();
  const cq0 = path.join(dir, "consumequeue", "a", "0", "0".padStart(20, "0"));
  const cq1 = path.join(dir, "consumequeue", "a", "1", "0".padStart(20, "0"));
  const entry = fs.readFileSync(cq1).subarray(20, 40); // queue 1's offset 1
  const fd = fs.openSync(cq0, "r+");
  fs.writeSync(fd, entry, 0, 20, 20);
  fs.closeSync(fd);
  const s = await open();
  assert.is(s.get("a", 0, 1, 5).status, GetStatus.CORRUPT_RECORD);
  await s.close();
});

const clamp = suite("committed offsets past a truncated end");
clamp.before.each(fresh);
clamp.after.each(() => removeDir(dir));

/** Ten messages in queue a/0, group g1 committed at its end and g2 at 4, a clean stop, then 3 bytes cut off the log. */
async function tenCommittedThenCut(): Promise<void> {
  const s = await open();
  await s.put(many("a", 0, 10));
  s.offsets.commit("g1", "a", 0, 10);
  s.offsets.commit("g2", "a", 0, 4);
  await s.close();
  cutTail(3);
}

clamp("case 3: a cut tail keeps the queue's offsets as holes; a group committed past the cut sees the next message", async () => {
  await tenCommittedThenCut();
  const s = await open();
  assert.is(s.queueRange("a", 0).max, 10, "offset 9 is not handed out again");
  assert.equal(s.recovery.keptOffsets, [{ topic: "a", queueId: 0, from: 9, to: 10 }]);
  assert.equal(s.recovery.rebuiltQueues, [], "holes kept are not entries rebuilt");
  assert.equal(s.recovery.clampedOffsets, [], "nothing to clamp: every committed offset is still inside its queue");
  assert.ok(lines.some((l) => l.msg === "queue offsets of lost messages kept as holes, not reused" && l.from === 9));
  assert.equal(readAll(s, "a", 0).corrupt, [9], "a read reports the lost message by its offset");
  const next = await s.put(many("a", 0, 1, "new"));
  assert.is(next.results[0]!.queueOffset, 10);
  assert.is(s.get("a", 0, s.offsets.get("g1", "a", 0)!, 1).messages[0]?.body.toString(), "new0", "g1 sees it");
  await s.close();
  const again = await open();
  assert.equal(again.recovery.keptOffsets, [], "kept once, not again at every start");
  assert.is(again.queueRange("a", 0).max, 11);
  await again.close();
});

clamp("committed offsets past a queue that lost its files and its manifest are clamped, logged and persisted", async () => {
  await tenCommittedThenCut();
  fs.rmSync(path.join(dir, "consumequeue"), { recursive: true });
  fs.rmSync(path.join(dir, "config", "queues.json"));
  const s = await open();
  assert.is(s.queueRange("a", 0).max, 9, "rebuilt from the log, which holds 9");
  assert.equal(s.recovery.clampedOffsets, [{ group: "g1", topic: "a", queueId: 0, from: 10, to: 9 }]);
  assert.is(s.offsets.get("g1", "a", 0), 9);
  assert.is(s.offsets.get("g2", "a", 0), 4);
  assert.ok(lines.some((l) => l.msg === "committed offset past the queue's end clamped" && l.group === "g1"));
  const next = await s.put(many("a", 0, 1, "new"));
  assert.is(next.results[0]!.queueOffset, 9);
  assert.is(s.get("a", 0, s.offsets.get("g1", "a", 0)!, 1).messages[0]?.body.toString(), "new0");
  await s.close();
  const again = await open();
  assert.is(again.offsets.get("g1", "a", 0), 9, "the clamp is persisted");
  await again.close();
});

middle.run();
reads.run();
clamp.run();
