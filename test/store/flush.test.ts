import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import { MessageStore } from "../../src/store/message-store.js";
import { PutStatus } from "../../src/store/status.js";
import { waitUntil } from "../harness/wait.js";
import { msg, removeDir, tempDir } from "./helpers.js";

let dir = "";
const flush = suite("flush");
flush.before.each(() => void (dir = tempDir()));
flush.after.each(() => removeDir(dir));

flush("sync: 100 concurrent puts share far fewer fsyncs, and each resolves only once covered", async () => {
  let fsyncs = 0;
  const s = await MessageStore.open(dir, {
    flush: "sync", flushIntervalMs: 60_000,
    fsync: (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (fsyncs++, err ? reject(err) : resolve()))),
  });
  fsyncs = 0;
  const covered: boolean[] = [];
  const puts = Array.from({ length: 100 }, (_, i) =>
    s.put([msg("a", i % 4, `m${i}`)]).then((r) => {
      covered.push(s.stats().flushedOffset > r.results[0]!.commitLogOffset);
      return r.status;
    }),
  );
  const statuses = await Promise.all(puts);
  assert.ok(statuses.every((x) => x === PutStatus.PUT_OK));
  assert.ok(covered.every(Boolean), "no put resolved before its bytes were fsynced");
  assert.ok(fsyncs >= 1 && fsyncs <= 5, `fsyncs: ${fsyncs}`);
  await s.close();
});

flush("sync: puts arriving during an fsync are grouped into the next one", async () => {
  const gates: (() => void)[] = [];
  const s = await MessageStore.open(dir, { flush: "sync", flushIntervalMs: 60_000 });
  // swap in a gated fsync after open so open()'s own flush is not counted
  (s as unknown as { flusher: { fsync: (fd: number) => Promise<void> } }).flusher.fsync = () =>
    new Promise<void>((resolve) => gates.push(resolve));
  const first = s.put([msg("a", 0, "first")]);
  await new Promise((r) => setImmediate(r));
  assert.is(gates.length, 1, "first round started");
  const rest = Array.from({ length: 20 }, (_, i) => s.put([msg("a", 0, `m${i}`)]));
  gates.shift()!();
  assert.is((await first).status, PutStatus.PUT_OK);
  await new Promise((r) => setImmediate(r));
  assert.is(gates.length, 1, "one round for all 20 that waited");
  gates.shift()!();
  assert.ok((await Promise.all(rest)).every((r) => r.status === PutStatus.PUT_OK));
  await s.close();
});

flush("sync: an fsync that does not finish in time yields FLUSH_TIMEOUT (stored, visible once its fsync ends)", async () => {
  let release = () => {};
  const stalled = new Promise<void>((r) => (release = r));
  const s = await MessageStore.open(dir, { flush: "sync", flushIntervalMs: 60_000, syncFlushTimeoutMs: 20 });
  (s as unknown as { flusher: { fsync: (fd: number) => Promise<void> } }).flusher.fsync = () => stalled;
  const r = await s.put([msg("a", 0, "slow")]);
  assert.is(r.status, PutStatus.FLUSH_TIMEOUT);
  assert.is(r.results[0]!.queueOffset, 0);
  assert.is(s.get("a", 0, 0, 1).messages.length, 0, "not visible before its fsync");
  release();
  await waitUntil("the fsync to make it visible", () => s.get("a", 0, 0, 1).messages[0]?.body.toString() === "slow");
  await s.close();
});

flush("async: puts never wait for fsync; flush() syncs and moves the checkpoint", async () => {
  let fsyncs = 0;
  const s = await MessageStore.open(dir, { flushIntervalMs: 60_000, fsync: async () => void fsyncs++ });
  fsyncs = 0;
  const r = await s.put([msg("a", 0, "x")]);
  assert.is(r.status, PutStatus.PUT_OK);
  assert.is(fsyncs, 0);
  assert.is(s.stats().flushedOffset, 0);
  await s.flush();
  assert.ok(fsyncs >= 1);
  assert.is(s.stats().flushedOffset, s.maxPhysicalOffset);
  const cp = JSON.parse(fs.readFileSync(`${dir}/checkpoint`, "utf8"));
  assert.equal([cp.commitLog, cp.dispatched], [s.maxPhysicalOffset, s.maxPhysicalOffset]);
  await s.close();
});

flush.run();
