import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { MessageStore } from "../../src/store/message-store.js";
import type { StoreTimerFns } from "../../src/store/options.js";
import { GetStatus, PutStatus } from "../../src/store/status.js";
import { waitUntil } from "../harness/wait.js";
import { many, msg, removeDir, tempDir } from "./helpers.js";
import { catchUp } from "./replication-ship.js";

let a = "";
let b = "";
const bodies = (s: MessageStore, topic: string, q: number) => s.get(topic, q, 0, 1000).messages.map((m) => m.body.toString());

const commit = suite("commit offset (replicated)");
commit.before.each(() => void ((a = tempDir()), (b = tempDir())));
commit.after.each(() => (removeDir(a), removeDir(b)));

commit("reads stop at the commit offset; setCommitOffset wakes each grown queue once", async () => {
  const s = await MessageStore.open(a, { replicated: true });
  const woken: string[] = [];
  s.onArrived((t, q, max) => woken.push(`${t}/${q}:${max}`));
  const r1 = await s.put([...many("t", 0, 3), ...many("t", 1, 2)]);
  const r2 = await s.put(many("t", 0, 2, "x"));
  assert.is(r2.end, s.maxPhysicalOffset);
  assert.is(s.commitOffset, 0);
  assert.is(s.get("t", 0, 0, 10).status, GetStatus.NO_NEW_MSG);
  assert.equal(s.queueRange("t", 0), { min: 0, max: 0 });
  assert.is(s.offsetForTimestamp("t", 0, 0), 0, "time lookups see only what is visible");
  assert.equal(woken, [], "no wake before the commit");
  // a commit inside the first batch: only records that end at or below it
  s.setCommitOffset(r1.results[1]!.commitLogOffset + 1);
  assert.equal(bodies(s, "t", 0), ["m0"]);
  assert.equal(woken, ["t/0:1"]);
  const ahead = s.get("t", 0, 2, 10); // a reader that got further on another replica waits here, it is not sent back
  assert.equal([ahead.status, ahead.nextOffset, ahead.maxOffset], [GetStatus.NO_NEW_MSG, 2, 1]);
  s.setCommitOffset(r1.end);
  assert.equal(bodies(s, "t", 0), ["m0", "m1", "m2"]);
  assert.equal(bodies(s, "t", 1), ["m0", "m1"]);
  const got = s.get("t", 0, 3, 10);
  assert.equal([got.status, got.nextOffset, got.maxOffset], [GetStatus.NO_NEW_MSG, 3, 3]);
  woken.length = 0;
  s.setCommitOffset(r2.end + 1000);
  assert.is(s.commitOffset, s.maxPhysicalOffset, "clamped to the log's end");
  assert.equal(woken, ["t/0:5"], "once, for the one queue that grew");
  s.setCommitOffset(0);
  assert.is(s.commitOffset, s.maxPhysicalOffset, "never backwards");
  assert.equal(s.queueRange("t", 0), { min: 0, max: 5 });
  await s.close();
});

commit("a slave's appended records stay invisible until the master's commit reaches them", async () => {
  const master = await MessageStore.open(a, { replicated: true });
  const slave = await MessageStore.open(b, { replicated: true });
  await master.put(many("t", 0, 10));
  await catchUp(master, slave);
  assert.is(slave.maxPhysicalOffset, master.maxPhysicalOffset);
  assert.equal(slave.queueRange("t", 0), { min: 0, max: 0 }, "master's commit was 0");
  master.setCommitOffset(master.maxPhysicalOffset);
  await catchUp(master, slave);
  assert.is(slave.commitOffset, 0, "nothing new to append: the commit came with no fetch");
  slave.setCommitOffset(master.commitOffset);
  assert.is(bodies(slave, "t", 0).length, 10);
  await master.close();
  await slave.close();
});

commit("the commit offset survives a reopen as of the last flush, and a crash as of the flush before it", async () => {
  let s = await MessageStore.open(a, { replicated: true, flushIntervalMs: 60_000 });
  const r = await s.put(many("t", 0, 4));
  s.setCommitOffset(r.results[2]!.commitLogOffset); // where the second record ends
  await s.flush();
  const flushedCommit = s.commitOffset;
  s.setCommitOffset(r.end);
  s.simulateCrash();
  s = await MessageStore.open(a, { replicated: true, flushIntervalMs: 60_000 });
  assert.is(s.commitOffset, flushedCommit);
  assert.equal(bodies(s, "t", 0), ["m0", "m1"]);
  s.setCommitOffset(r.end);
  await s.close();
  s = await MessageStore.open(a, { replicated: true });
  assert.is(s.commitOffset, r.end);
  await s.close();
});

const effects = suite("order of effects");
effects.before.each(() => void (a = tempDir()));
effects.after.each(() => removeDir(a));

effects("alone, async flush: onAppended, then the wake, then the put resolves", async () => {
  const s = await MessageStore.open(a);
  const seen: string[] = [];
  s.onAppended((end) => seen.push(`appended ${end}`));
  s.onArrived((_t, _q, max) => seen.push(`arrived ${max}`));
  const r = await s.put(many("t", 0, 2));
  seen.push("resolved");
  assert.equal(seen, [`appended ${r.end}`, "arrived 2", "resolved"]);
  assert.is(s.commitOffset, r.end);
  const failed = await s.put([msg("%RBUS_TERM%", 0, "reserved")]);
  assert.equal([failed.status, failed.end], [PutStatus.MESSAGE_ILLEGAL, -1], "reserved topic; nothing written");
  await s.close();
});

effects("alone, sync flush: a put becomes visible only after its fsync", async () => {
  const s = await MessageStore.open(a, { flush: "sync", flushIntervalMs: 60_000 });
  const gates: (() => void)[] = [];
  (s as unknown as { flusher: { fsync: (fd: number) => Promise<void> } }).flusher.fsync = () => new Promise<void>((r) => gates.push(r));
  const seen: string[] = [];
  s.onAppended(() => seen.push("appended"));
  s.onArrived(() => seen.push("arrived"));
  const put = s.put([msg("t", 0, "durable first")]).then((r) => (seen.push("resolved"), r));
  assert.equal(seen, ["appended"]);
  assert.is(s.get("t", 0, 0, 1).status, GetStatus.NO_NEW_MSG, "written, not yet fsynced: not visible");
  assert.is(s.commitOffset, 0);
  await waitUntil("the group-commit fsync to start", () => gates.length > 0);
  gates.shift()!();
  const r = await put;
  assert.equal(seen, ["appended", "arrived", "resolved"]);
  assert.is(s.commitOffset, r.end);
  assert.is(s.get("t", 0, 0, 1).messages[0]?.body.toString(), "durable first");
  await s.close();
});

/** Timers that fire only when the test says so. */
function manualTimers(): StoreTimerFns & { due: () => number[]; fire: (ms: number) => void } {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let id = 0;
  return {
    set: (fn, ms) => (pending.set(++id, { fn, ms }), id),
    clear: (h) => void pending.delete(h as number),
    due: () => [...pending.values()].map((t) => t.ms),
    fire: (ms) => {
      for (const [k, t] of [...pending]) {
        if (t.ms !== ms) continue;
        pending.delete(k);
        t.fn();
      }
    },
  };
}

effects("injected timers drive the periodic flush and the sync-flush timeout", async () => {
  const timers = manualTimers();
  let fsyncs = 0;
  const s = await MessageStore.open(a, { timers, flushIntervalMs: 500, fsync: async () => void fsyncs++ });
  assert.equal(timers.due(), [500], "one periodic timer, armed at open");
  await s.put([msg("t", 0, "x")]);
  fsyncs = 0;
  timers.fire(500);
  await waitUntil("the tick's flush", () => s.stats().flushedOffset >= s.maxPhysicalOffset);
  assert.ok(fsyncs >= 1, "the tick flushed");
  assert.equal(timers.due(), [500], "re-armed");
  await s.close();
  assert.equal(timers.due(), [], "close clears it");

  const t2 = manualTimers();
  const stalled = new Promise<void>(() => {});
  const sync = await MessageStore.open(a, { timers: t2, flush: "sync", syncFlushTimeoutMs: 5000, flushIntervalMs: 500 });
  (sync as unknown as { flusher: { fsync: (fd: number) => Promise<void> } }).flusher.fsync = () => stalled;
  const put = sync.put([msg("t", 0, "slow")]);
  await new Promise((r) => setImmediate(r));
  assert.ok(t2.due().includes(5000), "the flush timeout is an injected timer");
  t2.fire(5000);
  assert.is((await put).status, PutStatus.FLUSH_TIMEOUT);
  sync.simulateCrash();
});

commit.run();
effects.run();
