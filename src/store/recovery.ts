// Brings the commit log, consume queues and key index back into agreement at
// open (RocketMQ's recoverNormally / recoverAbnormally):
//
// 1. Commit log tail. The checkpoint's commit-log offset is written only
//    after an fsync covered it, so the files are trusted up to there and
//    checked from there on (from the last segment's start, or the log's,
//    when there is no usable checkpoint). Every record checked is
//    CRC-verified and must sit at the offset it names; every byte after the
//    first bad record is truncated. A crash (abort marker present) can tear
//    only what was not yet fsynced, which is all after the checkpoint.
// 2. Consume queues lose entries pointing past the new end and move their
//    min up to the log's min.
// 3. Replay: records from where the queues (checkpoint `dispatched`) and the
//    key index (its saved offset) stop are dispatched again; from the log's
//    start when queue files are missing or the index was not saved. Replay
//    reads only the fields indexing needs, skips records without keys where
//    only the key index is behind, and does not re-verify CRCs (step 1 did,
//    for everything not covered by an fsync).
import type { CommitLog } from "./commit-log.js";
import type { Checkpoint } from "./checkpoint.js";
import type { Dispatcher } from "./dispatch.js";
import type { QueueTable } from "./queue-table.js";
import { decodeDispatch } from "./record.js";
import type { DispatchEntry } from "./types.js";

export interface RecoveryReport {
  abnormal: boolean;
  /** Where the tail check started. */
  checkedFrom: number;
  /** Bytes cut off the commit log's tail (torn or corrupt). */
  truncatedBytes: number;
  /** Where replay into queues / key index started (-1: nothing replayed). */
  replayedFrom: number;
  replayedRecords: number;
}

export interface RecoveryInput {
  log: CommitLog;
  queues: QueueTable;
  dispatcher: Dispatcher;
  checkpoint: Checkpoint | undefined;
  abnormal: boolean;
  /** Log offset the loaded key index covers, -1 if none was loaded. */
  keyIndexCovers: number;
}

const REPLAY_BATCH = 4096;

export function recover(input: RecoveryInput): RecoveryReport {
  const { log, queues, dispatcher, checkpoint: cp, abnormal } = input;
  const checkedFrom = tailCheckStart(log, cp, abnormal);
  const end = log.scan(checkedFrom, () => {});
  const truncatedBytes = log.maxOffset - end;
  if (truncatedBytes > 0) log.truncateTo(end);

  for (const cq of queues.all()) {
    cq.truncatePhysical(log.maxOffset);
    cq.correctMin(log.minOffset);
  }

  const queuesFrom = queues.lostQueues || !cp ? log.minOffset : clamp(cp.dispatched, log);
  const keysFrom = input.keyIndexCovers < 0 ? log.minOffset : clamp(input.keyIndexCovers, log);
  const from = Math.min(queuesFrom, keysFrom);
  if (from >= log.maxOffset) return { abnormal, checkedFrom, truncatedBytes, replayedFrom: -1, replayedRecords: 0 };

  let replayed = 0;
  let batch: DispatchEntry[] = [];
  let batchIndexesKeys = true;
  const flush = () => {
    dispatcher.dispatch(batch, batchIndexesKeys);
    batch = [];
  };
  log.scan(
    from,
    (buf, at, offset) => {
      const indexKeys = offset >= keysFrom;
      const entry = decodeDispatch(buf, at, offset, offset < queuesFrom);
      if (entry === undefined) return; // only the key index is behind here, and this record has no keys
      if (indexKeys !== batchIndexesKeys || batch.length >= REPLAY_BATCH) flush();
      batchIndexesKeys = indexKeys;
      batch.push(entry);
      replayed++;
    },
    false,
  );
  flush();
  return { abnormal, checkedFrom, truncatedBytes, replayedFrom: from, replayedRecords: replayed };
}

function tailCheckStart(log: CommitLog, cp: Checkpoint | undefined, abnormal: boolean): number {
  const segs = log.segments;
  const last = segs.at(-1);
  if (!last) return log.maxOffset;
  const mark = cp?.commitLog ?? -1;
  if (mark >= log.minOffset && mark <= log.maxOffset) return mark;
  return abnormal ? log.minOffset : last.base;
}

function clamp(offset: number, log: CommitLog): number {
  return Math.min(Math.max(offset, log.minOffset), log.maxOffset);
}
