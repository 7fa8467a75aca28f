// Dropping a log's tail (a deposed master's, or a slave's that parted from
// its master's), in an order a crash at any step survives:
// 1. the checkpoint, the queue manifest and the term history are written
//    (synchronously) as they will be after the cut: none claims what is
//    being cut, so a crash after them recovers either the old tail (still
//    in the files, checked and kept as ordinary records, cut again at the
//    next fetch) or the cut state. A manifest or checkpoint left claiming
//    the old ends would make recovery take the cut records for lost ones
//    and keep their ids and queue offsets as holes and gap records;
// 2. the cut records' entries leave the key index (their offsets will name
//    other records), and its files say they cover the log only up to the cut;
// 3. the commit log, then every consume queue, is cut; the commit offset
//    and what readers see go no further than the cut.
// A write that fails in step 1 throws before anything is cut (the files it
// did write only claim less than the log holds, which recovery accepts).
import type { Checkpoint } from "./checkpoint.js";
import { writeCheckpointSync } from "./checkpoint.js";
import type { CommitLogFlusher } from "./commit-log-flusher.js";
import type { CommitLog } from "./commit-log.js";
import type { KeyIndex } from "./key-index.js";
import type { QueueTable } from "./queue-table.js";
import { readHead } from "./recovery.js";
import type { TermHistory } from "./term-history.js";
import type { Visibility } from "./visibility.js";

export interface TruncateTarget {
  dir: string;
  log: CommitLog;
  queues: QueueTable;
  keys: KeyIndex;
  flusher: CommitLogFlusher;
  history: TermHistory;
  visibility: Visibility;
  now: () => number;
}

/**
 * Cuts at `at` (a record's offset, or where a segment's records end);
 * returns the checkpoint it wrote. A cut at a segment's base whose
 * previous segment ends early is made where that one ends: the same
 * records stay, and the log's end is where the term history puts it.
 */
export function truncateLog(t: TruncateTarget, at: number, last: Checkpoint | undefined): Checkpoint {
  const { log, queues } = t;
  const offset = logEndAt(log, at);
  if (offset === undefined) throw new Error(`truncateTo(${at}): not a record boundary in [${log.minOffset}, ${log.maxOffset})`);
  const cut = (n: number | undefined) => Math.min(n ?? offset, offset);
  const cp: Checkpoint = {
    commitLog: cut(t.flusher.flushed), dispatched: cut(last?.dispatched ?? 0), verified: cut(last?.verified ?? 0), savedAt: t.now(),
    committed: cut(t.visibility.offset),
  };
  writeCheckpointSync(t.dir, cp);
  queues.persistManifestSync(cp.dispatched, (cq) => cq.cutFor(offset));
  t.history.cutAt(offset);

  t.keys.cutFrom(offset);
  log.truncateTo(offset);
  t.flusher.truncated(offset);
  for (const cq of queues.all()) cq.truncatePhysical(offset);
  t.visibility.clampTo(offset);
  return cp;
}

/** The log end a cut at `at` leaves, undefined when `at` is inside a record. */
function logEndAt(log: CommitLog, at: number): number | undefined {
  if (at < log.minOffset) return undefined;
  const i = log.segments.findIndex((s) => at >= s.base && at <= s.base + s.size);
  const seg = log.segments[i];
  if (!seg) return undefined;
  const prev = log.segments[i - 1];
  if (at === seg.base && prev && prev.base + prev.size < at) return prev.base + prev.size;
  return at === seg.base + seg.size || readHead(log, at) !== null ? at : undefined;
}
