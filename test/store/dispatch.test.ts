// Consume-queue entries through the store: written once per queue per
// flush (not per batch), taken back with a failed batch, and rebuilt from
// the commit log when a crash loses the tails that were not written.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { MessageStore } from "../../src/store/message-store.js";
import { PutStatus } from "../../src/store/status.js";
import { TAIL_ENTRIES } from "../../src/store/queue-tail.js";
import { waitUntil } from "../harness/wait.js";
import { failFs } from "./fault-fs.js";
import { many, msg, removeDir, tempDir } from "./helpers.js";
import type { PutMessage } from "../../src/store/types.js";

let dir = "";
/** No periodic flush: the test decides when one runs. */
const open = (o = {}) => MessageStore.open(dir, { flushIntervalMs: 3_600_000, fsync: async () => {}, ...o });
const bodies = (s: MessageStore, topic: string, q: number) => s.get(topic, q, 0, 100_000).messages.map((m) => m.body.toString());
/** `n` messages round-robin over `queues` queues of topic t, starting at message `from`. */
const roundRobin = (from: number, n: number, queues: number): PutMessage[] =>
  Array.from({ length: n }, (_, k) => msg("t", (from + k) % queues, `m${from + k}`));

/** Counts writeSync calls (every file: commit log and consume queues) while `fn` runs. */
async function writes(fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const restore = failFs("writeSync", "EIO", () => (n++, false));
  try {
    await fn();
  } finally {
    restore();
  }
  return n;
}

const d = suite("dispatch into consume queues");
d.before.each(() => void (dir = tempDir()));
d.after.each(() => removeDir(dir));

d("256 queues round-robin: one write per batch while putting, one per queue at the flush", async () => {
  const s = await open();
  const queues = 256;
  const batches = 40;
  const during = await writes(async () => {
    for (let b = 0; b < batches; b++) assert.is((await s.put(roundRobin(b * 256, 256, queues))).status, PutStatus.PUT_OK);
  });
  assert.is(during, batches, "the commit log's write per batch, no consume-queue write (was 1 + 256 per batch)");
  assert.is(bodies(s, "t", 7).length, batches, "reads see the unwritten entries");
  const atFlush = await writes(() => s.flush());
  assert.is(atFlush, queues + 1, "one write per queue for 40 batches, and the key index's header");
  assert.is(await writes(() => s.flush()), 0, "nothing left to write");
  await s.close();
});

d("a crash mid-flush loses the tails not yet written; recovery rebuilds them from the commit log", async () => {
  let calls = 0;
  let stalling = false;
  let stall: () => void = () => {};
  // once stalling: fsync 1 is the commit log's, 2 queue 0's (its tail was just written), which never returns: the process dies there
  const fsync = async () => {
    if (stalling && ++calls === 2) await new Promise<void>((r) => (stall = r));
  };
  const s = await open({ fsync });
  assert.is((await s.put(roundRobin(0, 400, 4))).status, PutStatus.PUT_OK);
  assert.ok(await s.flush(), "a whole flush first: the checkpoint covers the first 400");
  await s.put(roundRobin(400, 400, 4));
  stalling = true;
  void s.flush();
  await waitUntil("the flush to stick in queue 0's fsync", () => calls === 2);
  s.simulateCrash();
  stall();

  const again = await open();
  assert.is(again.recovery.abnormal, true);
  assert.ok(again.recovery.replayedRecords >= 400, "the records past the checkpoint are replayed");
  assert.equal(again.recovery.rebuiltQueues, [], "no queue reported damaged: a lost tail is not damage");
  for (let q = 0; q < 4; q++) {
    assert.equal(bodies(again, "t", q), Array.from({ length: 200 }, (_, k) => `m${q + 4 * k}`));
  }
  const next = await again.put([msg("t", 3, "next")]);
  assert.is(next.results[0]!.queueOffset, 200, "queue offsets go on");
  await again.close();
});

d("a failed batch takes its entries back out of the tails of the queues it touched", async () => {
  const s = await open();
  await s.put([...many("t", 0, TAIL_ENTRIES, "full"), ...many("t", 1, 5, "one")]);
  // queue 1's entries go to its tail first, then queue 0's full tail must be written: that write fails
  const restore = failFs("writeSync", "ENOSPC", (call) => call === 2);
  const r = await s.put([msg("t", 1, "lost1"), msg("t", 0, "lost0")]);
  restore();
  assert.is(r.status, PutStatus.DISK_FULL);
  assert.equal(s.queueRange("t", 1), { min: 0, max: 5 });
  assert.equal(s.queueRange("t", 0), { min: 0, max: TAIL_ENTRIES });
  assert.equal(bodies(s, "t", 1), many("t", 1, 5, "one").map((m) => m.body.toString()));
  const next = await s.put([msg("t", 1, "after")]);
  assert.is(next.results[0]!.queueOffset, 5);
  s.simulateCrash();
  const again = await open();
  assert.equal(bodies(again, "t", 1), [...many("t", 1, 5, "one").map((m) => m.body.toString()), "after"]);
  assert.is(again.queueRange("t", 0).max, TAIL_ENTRIES);
  await again.close();
});

d.run();
