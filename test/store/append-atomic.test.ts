// An error reply is final: a put (or appendRaw) whose write fails after the
// commit-log write began stores nothing, before and after a restart.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { MessageStore } from "../../src/store/message-store.js";
import { AppendRawStatus, PutStatus } from "../../src/store/status.js";
import { TAIL_ENTRIES } from "../../src/store/queue-tail.js";
import { failFs } from "./fault-fs.js";
import { many, msg, removeDir, tempDir } from "./helpers.js";

let dir = "";
const open = (o = {}) => MessageStore.open(dir, { segmentBytes: 64 << 10, ...o });
const bodies = (s: MessageStore, topic: string, q: number) => s.get(topic, q, 0, 10_000).messages.map((m) => m.body.toString());
/** No periodic flush: a queue's in-memory tail is written only when it fills (what these tests fail). */
const NO_TICK = { flushIntervalMs: 3_600_000 };
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

const put = suite("put, all or nothing");
put.before.each(() => void (dir = tempDir()));
put.after.each(() => removeDir(dir));

put("ENOSPC on a consume-queue write: DISK_FULL, and nothing of the batch is stored, then or after restart", async () => {
  const s = await open(NO_TICK);
  const before = TAIL_ENTRIES - 1;
  await s.put(many("t", 0, before, "before"));
  const end = s.maxPhysicalOffset;
  // the batch touches queues 0, 1, 2: the commit-log write is call 1; queue 0's two entries overflow its tail, written as call 2
  const restore = failFs("writeSync", "ENOSPC", (call) => call === 2);
  const r = await s.put([msg("t", 0, "x0"), msg("t", 1, "x1"), msg("t", 2, "x2"), msg("t", 0, "x3")]);
  restore();
  assert.is(r.status, PutStatus.DISK_FULL);
  assert.ok(r.results.every((x) => x.status === PutStatus.DISK_FULL && x.queueOffset === -1 && x.commitLogOffset === -1));
  assert.is(s.maxPhysicalOffset, end, "commit log back at the batch's start");
  assert.equal([s.queueRange("t", 0), s.queueRange("t", 1), s.queueRange("t", 2)], [{ min: 0, max: before }, { min: 0, max: 0 }, { min: 0, max: 0 }]);

  const next = await s.put([msg("t", 0, "after"), msg("t", 1, "after1")]);
  assert.is(next.status, PutStatus.PUT_OK);
  assert.is(next.results[0]!.commitLogOffset, end, "the next batch takes the failed one's place");
  assert.equal(next.results.map((x) => x.queueOffset), [before, 0]);
  await s.close();

  const again = await open();
  assert.equal(bodies(again, "t", 0), [...names("before", before), "after"]);
  assert.equal(bodies(again, "t", 1), ["after1"]);
  assert.equal(bodies(again, "t", 2), []);
  await again.close();
});

put("out of fds in the middle of a 1,024-queue batch: IO_ERROR with 0 of 1,024 stored", async () => {
  const s = await open(NO_TICK);
  let opened = 0;
  // queues 1016..1023 have full tails, so the batch writes their files after the 1,016 queues it creates; the 5th cannot be opened
  const full = Array.from({ length: 8 * TAIL_ENTRIES }, (_, i) => msg("wide", 1016 + (i % 8), "f"));
  await s.put(full);
  const restore = failFs("openSync", "EMFILE", (_call, p) => String(p).includes("consumequeue") && ++opened > 4);
  const r = await s.put(Array.from({ length: 1024 }, (_, q) => msg("wide", q, `m${q}`)));
  restore();
  assert.is(r.status, PutStatus.IO_ERROR);
  assert.is(r.results.filter((x) => x.status === PutStatus.PUT_OK).length, 0);
  assert.is(s.stats().messages, full.length);
  assert.is(s.stats().queues, 8, "queues the batch created are dropped");
  assert.ok(opened > 4, "the failure was met");
  s.simulateCrash();
  const again = await open();
  assert.is(again.stats().messages, full.length, "nothing of the failed batch reappears after a crash and recovery");
  await again.close();
});

put("a flush that cannot open the queues' files keeps their tails for the next one; nothing is lost", async () => {
  const errors: unknown[] = [];
  const s = await open({ ...NO_TICK, onError: (e: unknown) => errors.push(e) });
  const r = await s.put(Array.from({ length: 1024 }, (_, q) => msg("wide", q, `m${q}`)));
  assert.is(r.status, PutStatus.PUT_OK, "a put writes no consume-queue file");
  let opened = 0;
  const restore = failFs("openSync", "EMFILE", (_call, p) => String(p).includes("consumequeue") && ++opened > 515);
  assert.is(await s.flush(), false, "the flush reports the failure");
  restore();
  assert.is(s.get("wide", 1000, 0, 10).messages[0]?.body.toString(), "m1000", "reads still see every entry");
  assert.is(await s.flush(), true);
  s.simulateCrash();
  const again = await open();
  assert.is(again.stats().messages, 1024);
  assert.equal(again.recovery.rebuiltQueues, [], "no queue file lost an entry it claimed");
  await again.close();
});

put("a commit-log write cut short (EIO after part of a batch rolled to a new segment) is truncated away", async () => {
  const s = await open({ segmentBytes: 4096 });
  await s.put(many("t", 0, 10, "ok"));
  const end = s.maxPhysicalOffset;
  const restore = failFs("writeSync", "EIO", (call) => call === 2); // first run written, the run in the new segment fails
  const r = await s.put(Array.from({ length: 60 }, (_, i) => msg("t", 0, `big${i}`.padEnd(100, "."))));
  restore();
  assert.is(r.status, PutStatus.IO_ERROR);
  assert.is(s.maxPhysicalOffset, end);
  assert.is(s.stats().segments, 1, "the segment the batch opened is gone");
  assert.is(s.queueRange("t", 0).max, 10);
  await s.close();
  const again = await open({ segmentBytes: 4096 });
  assert.is(again.maxPhysicalOffset, end);
  assert.is(again.recovery.truncatedBytes, 0);
  await again.close();
});

put("a rollback that fails makes the store read-only: puts get IO_ERROR until restart, reads go on", async () => {
  const errors: unknown[] = [];
  const s = await open({ ...NO_TICK, onError: (e: unknown) => errors.push(e) });
  await s.put(many("t", 0, TAIL_ENTRIES)); // queue 0's tail is full: the next entry writes it (call 2)
  const restoreWrite = failFs("writeSync", "EIO", (call) => call === 2);
  const restoreTruncate = failFs("ftruncateSync", "EIO", () => true);
  const r = await s.put([msg("t", 0, "lost")]);
  restoreTruncate();
  restoreWrite();
  assert.is(r.status, PutStatus.IO_ERROR);
  assert.ok(s.stats().readOnly);
  assert.is(errors.length, 1, "reported once");
  assert.is((await s.put([msg("t", 0, "refused")])).status, PutStatus.IO_ERROR);
  assert.is((await s.appendRaw(Buffer.alloc(0))).status, AppendRawStatus.IO_ERROR);
  assert.equal(bodies(s, "t", 0), names("m", TAIL_ENTRIES));
  await s.close();
  const again = await open();
  assert.not.ok(again.stats().readOnly);
  assert.is((await again.put([msg("t", 0, "fine")])).status, PutStatus.PUT_OK);
  await again.close();
});

put("sync flush: a failed fsync answers FLUSH_TIMEOUT, then the store refuses writes until restart", async () => {
  const errors: unknown[] = [];
  let fail = false;
  const s = await open({
    flush: "sync",
    onError: (e: unknown) => errors.push(e),
    fsync: async () => {
      if (fail) throw Object.assign(new Error("EIO: fsync"), { code: "EIO" });
    },
  });
  assert.is((await s.put([msg("t", 0, "a")])).status, PutStatus.PUT_OK);
  fail = true;
  assert.is((await s.put([msg("t", 0, "b")])).status, PutStatus.FLUSH_TIMEOUT, "written, not known to be on disk");
  assert.ok(errors.some((e) => String(e).includes("EIO")), "reported");
  fail = false;
  // Linux clears a writeback error once reported: a later fsync could succeed over lost pages.
  assert.is((await s.put([msg("t", 0, "c")])).status, PutStatus.IO_ERROR, "no acknowledgement on top of a failed fsync");
  assert.is(s.stats().readOnly, true);
  // "b" was written but never known to be on disk: under sync flush it never became visible
  assert.equal(s.get("t", 0, 0, 10).messages.map((m) => m.body.toString()), ["a"], "reads go on");
  await s.close();
  const again = await open({ flush: "sync" });
  assert.is((await again.put([msg("t", 0, "d")])).status, PutStatus.PUT_OK, "a restart takes writes again");
  await again.close();
});

const raw = suite("appendRaw, all or nothing");
raw.before.each(() => void (dir = tempDir()));
raw.after.each(() => removeDir(dir));

raw("a failed consume-queue write rolls the replicated records back", async () => {
  const master = await MessageStore.open(`${dir}/m`);
  // queue 1's entries are more than a tail holds: the slave writes them at once, as call 2 after the commit log's
  await master.put([msg("t", 0, "a"), ...many("t", 1, TAIL_ENTRIES + 1)]);
  const bytes = master.readRaw(0, 1 << 20);
  await master.close();
  const slave = await MessageStore.open(`${dir}/s`, NO_TICK);
  const restore = failFs("writeSync", "ENOSPC", (call) => call === 2);
  const r = await slave.appendRaw(bytes);
  restore();
  assert.is(r.status, AppendRawStatus.DISK_FULL);
  assert.is(slave.maxPhysicalOffset, 0);
  assert.is(slave.stats().messages, 0);
  assert.is((await slave.appendRaw(bytes)).status, AppendRawStatus.APPEND_OK, "the same bytes apply cleanly afterwards");
  assert.is(slave.stats().messages, TAIL_ENTRIES + 2);
  await slave.close();
});

put.run();
raw.run();
