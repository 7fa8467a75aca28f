import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { MAX_QUEUE_SKIP } from "../../src/store/append-raw.js";
import { MessageStore } from "../../src/store/message-store.js";
import { encodedSize, encodeRecord } from "../../src/store/record.js";
import { AppendRawStatus, GetStatus } from "../../src/store/status.js";
import { failFs } from "./fault-fs.js";
import { commitLogFiles, many, msg, removeDir, tempDir } from "./helpers.js";

let a = "";
let b = "";
const open = (d: string, replicated = false) => MessageStore.open(d, { segmentBytes: 1 << 16, replicated, flushIntervalMs: 60_000 });

const cut = suite("truncateTo");
cut.before.each(() => void ((a = tempDir()), (b = tempDir())));
cut.after.each(() => (removeDir(a), removeDir(b)));

cut("a crash right after a truncation recovers the truncated log: no torn tail, no gap, no kept offsets", async () => {
  let s = await open(a);
  await s.put(many("t", 0, 30));
  const tail = await s.put([...many("t", 0, 10, "x"), ...many("u", 1, 5)]);
  await s.flush(); // the checkpoint and the manifest claim the tail
  const at = tail.results[0]!.commitLogOffset;
  s.truncateTo(at);
  s.simulateCrash();
  s = await open(a);
  const r = s.recovery;
  assert.equal([s.maxPhysicalOffset, r.tornTail, r.gapFilled, r.keptOffsets], [at, null, null, []]);
  assert.equal([s.queueRange("t", 0), s.queueRange("u", 1)], [{ min: 0, max: 30 }, { min: 0, max: 0 }]);
  const next = (await s.put([msg("t", 0, "next")])).results[0]!;
  assert.equal([next.queueOffset, next.commitLogOffset], [30, at], "offsets and ids continue from the cut");
  await s.close();
});

cut("the commit offset and what readers see go back to the cut; cut records' keys leave the index", async () => {
  const s = await open(a, true);
  await s.put(many("t", 0, 10));
  const tail = await s.put([msg("t", 0, "gone", { keys: "lost-key" })]);
  s.setCommitOffset(s.maxPhysicalOffset);
  assert.is(s.queueRange("t", 0).max, 11);
  const keys = s.stats().indexedKeys;
  const woken: number[] = [];
  s.onArrived((_t, _q, max) => woken.push(max));
  s.truncateTo(tail.results[0]!.commitLogOffset);
  assert.is(s.commitOffset, tail.results[0]!.commitLogOffset);
  assert.equal(s.queueRange("t", 0), { min: 0, max: 10 });
  assert.equal([s.queryByKey("t", "lost-key", 5), s.stats().indexedKeys], [[], keys - 1]);
  assert.equal(woken, [], "a cut wakes nobody");
  assert.throws(() => s.truncateTo(tail.results[0]!.commitLogOffset - 1), /record boundary/);
  const again = await s.put([msg("t", 0, "again")]);
  s.setCommitOffset(again.end);
  assert.equal(woken, [11]);
  assert.is(s.get("t", 0, 10, 1).messages[0]?.body.toString(), "again");
  await s.close();
});

cut("a truncation whose state files cannot be written throws before it cuts anything", async () => {
  const s = await open(a, true);
  await s.put(many("t", 0, 5));
  await s.startTerm(2);
  const tail = await s.put(many("t", 0, 5, "x"));
  const [end, terms] = [s.maxPhysicalOffset, s.terms()];
  const restore = failFs("renameSync", "EIO", (_n, _from, to) => String(to).endsWith("terms.json"));
  try {
    assert.throws(() => s.truncateTo(s.termStart(2)!), /EIO/);
  } finally {
    restore();
  }
  assert.equal([s.maxPhysicalOffset, s.terms()], [end, terms], "log and term history as they were");
  s.truncateTo(tail.results[0]!.commitLogOffset);
  assert.equal(s.terms(), terms, "a cut inside term 2 keeps it");
  s.truncateTo(s.termStart(2)!);
  assert.equal(s.lastTerm, 0);
  await s.close();
});

const raw = suite("appendRaw checks");
raw.before.each(() => void ((a = tempDir()), (b = tempDir())));
raw.after.each(() => (removeDir(a), removeDir(b)));

/** One record of t/0 at the slave's end carrying `queueOffset`, encoded as a master would have written it. */
function recordAt(slave: MessageStore, queueOffset: number, term = 0): Buffer {
  const m = msg("t", 0, "skip");
  const size = encodedSize(m);
  const buf = Buffer.alloc(size);
  encodeRecord(buf, 0, size, m, term, slave.maxPhysicalOffset, queueOffset, 1);
  return buf;
}

raw("a queue offset may skip a master's kept offsets, boundedly; a term may not go down", async () => {
  const s = await open(a);
  await s.appendRaw(recordAt(s, 0, 2));
  assert.is((await s.appendRaw(recordAt(s, 4, 2))).status, AppendRawStatus.APPEND_OK, "3 kept offsets");
  assert.equal(s.queueRange("t", 0), { min: 0, max: 5 });
  assert.is(s.get("t", 0, 1, 1).status, GetStatus.CORRUPT_RECORD, "a kept offset reads as what it is: a hole");
  assert.is((await s.appendRaw(recordAt(s, 5 + MAX_QUEUE_SKIP + 1, 2))).status, AppendRawStatus.OFFSET_MISMATCH);
  assert.is((await s.appendRaw(recordAt(s, 5, 1))).status, AppendRawStatus.OFFSET_MISMATCH, "a lower term after term 2");
  assert.is(s.maxPhysicalOffset, recordAt(s, 0).length * 2);
  const fresh = await open(b);
  assert.is((await fresh.appendRaw(recordAt(fresh, 1_000_000_000))).status, AppendRawStatus.APPEND_OK, "a queue's first record may start anywhere");
  assert.equal(fresh.queueRange("t", 0), { min: 1_000_000_000, max: 1_000_000_001 });
  await s.close();
  await fresh.close();
});

raw("readRaw stops before a damaged record and names it when it is the first", async () => {
  const m = await open(a);
  const sent = (await m.put(many("t", 0, 10))).results;
  const bad = sent[5]!;
  const seg = commitLogFiles(a)[0]!;
  const fd = fs.openSync(path.join(a, "commitlog", seg), "r+");
  fs.writeSync(fd, Buffer.from([0xff]), 0, 1, bad.commitLogOffset + 70);
  fs.closeSync(fd);
  const got = m.readRawChecked(0, 1 << 20);
  assert.equal([got.bytes.length, got.corrupt], [bad.commitLogOffset, undefined], "good bytes only");
  const at = m.readRawChecked(bad.commitLogOffset, 1 << 20);
  assert.equal(at.corrupt, { offset: bad.commitLogOffset, size: sent[6]!.commitLogOffset - bad.commitLogOffset });
  assert.is(m.stats().corruptReads, 1);
  const s = await open(b);
  assert.is((await s.appendRaw(got.bytes)).status, AppendRawStatus.APPEND_OK);
  assert.is((await s.appendRaw(at.bytes)).status, AppendRawStatus.CORRUPT, "a slave refuses it whole");
  assert.is(s.queueRange("t", 0).max, 5);
  await m.close();
  await s.close();
});

cut.run();
raw.run();
