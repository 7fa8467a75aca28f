// An error reply is final: a put (or appendRaw) whose write fails after the
// commit-log write began stores nothing, before and after a restart.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { MessageStore } from "../../src/store/message-store.js";
import { AppendRawStatus, PutStatus } from "../../src/store/status.js";
import { failFs } from "./fault-fs.js";
import { many, msg, removeDir, tempDir } from "./helpers.js";

let dir = "";
const open = (o = {}) => MessageStore.open(dir, { segmentBytes: 64 << 10, ...o });
const bodies = (s: MessageStore, topic: string, q: number) => s.get(topic, q, 0, 10_000).messages.map((m) => m.body.toString());

const put = suite("put, all or nothing");
put.before.each(() => void (dir = tempDir()));
put.after.each(() => removeDir(dir));

put("ENOSPC on a consume-queue write: DISK_FULL, and nothing of the batch is stored, then or after restart", async () => {
  const s = await open();
  await s.put(many("t", 0, 3, "before"));
  const end = s.maxPhysicalOffset;
  // the batch touches queues 0, 1, 2: the commit-log write is call 1, queue writes 2..4
  const restore = failFs("writeSync", "ENOSPC", (call) => call === 3);
  const r = await s.put([msg("t", 0, "x0"), msg("t", 1, "x1"), msg("t", 2, "x2"), msg("t", 0, "x3")]);
  restore();
  assert.is(r.status, PutStatus.DISK_FULL);
  assert.ok(r.results.every((x) => x.status === PutStatus.DISK_FULL && x.queueOffset === -1 && x.commitLogOffset === -1));
  assert.is(s.maxPhysicalOffset, end, "commit log back at the batch's start");
  assert.equal([s.queueRange("t", 0), s.queueRange("t", 1), s.queueRange("t", 2)], [{ min: 0, max: 3 }, { min: 0, max: 0 }, { min: 0, max: 0 }]);

  const next = await s.put([msg("t", 0, "after"), msg("t", 1, "after1")]);
  assert.is(next.status, PutStatus.PUT_OK);
  assert.is(next.results[0]!.commitLogOffset, end, "the next batch takes the failed one's place");
  assert.equal(next.results.map((x) => x.queueOffset), [3, 0]);
  await s.close();

  const again = await open();
  assert.equal(bodies(again, "t", 0), ["before0", "before1", "before2", "after"]);
  assert.equal(bodies(again, "t", 1), ["after1"]);
  assert.equal(bodies(again, "t", 2), []);
  await again.close();
});

put("out of fds in the middle of a 1,024-queue batch: IO_ERROR with 0 of 1,024 stored", async () => {
  const s = await open();
  let opened = 0;
  // the 516th new consume-queue file cannot be opened (the cache's retry fails too)
  const restore = failFs("openSync", "EMFILE", (_call, p) => String(p).includes("consumequeue") && ++opened > 515);
  const r = await s.put(Array.from({ length: 1024 }, (_, q) => msg("wide", q, `m${q}`)));
  restore();
  assert.is(r.status, PutStatus.IO_ERROR);
  assert.is(r.results.filter((x) => x.status === PutStatus.PUT_OK).length, 0);
  assert.is(s.stats().messages, 0);
  assert.is(s.stats().queues, 0, "queues the batch created are dropped");
  assert.is(s.maxPhysicalOffset, 0);
  s.simulateCrash();
  const again = await open();
  assert.is(again.stats().messages, 0, "nothing reappears after a crash and recovery");
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
  const s = await open({ onError: (e: unknown) => errors.push(e) });
  await s.put(many("t", 0, 2));
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
  assert.equal(bodies(s, "t", 0), ["m0", "m1"]);
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
  await master.put([msg("t", 0, "a"), msg("t", 1, "b")]);
  const bytes = master.readRaw(0, 1 << 20);
  await master.close();
  const slave = await MessageStore.open(`${dir}/s`);
  const restore = failFs("writeSync", "ENOSPC", (call) => call === 3);
  const r = await slave.appendRaw(bytes);
  restore();
  assert.is(r.status, AppendRawStatus.DISK_FULL);
  assert.is(slave.maxPhysicalOffset, 0);
  assert.is(slave.stats().messages, 0);
  assert.is((await slave.appendRaw(bytes)).status, AppendRawStatus.APPEND_OK, "the same bytes apply cleanly afterwards");
  assert.is(slave.stats().messages, 2);
  await slave.close();
});

put.run();
raw.run();
