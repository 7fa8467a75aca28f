// Brings the commit log, consume queues and key index back into agreement at
// open (RocketMQ's recoverNormally / recoverAbnormally, with Kafka's rule
// that damage is contained, not a reason to drop what follows it):
//
// 1. Check. Every record from the checkpoint's `verified` offset (from the
//    log's start when there is none, or when the log is now shorter than
//    the checkpoint said) is CRC-verified and must sit at the offset it
//    names (log-scan.ts). A damaged record or range in the middle stays in
//    place, is reported and copied to quarantine/; only a torn tail (no
//    valid record after it in the last segment) is cut, after it too is
//    copied aside. A crash (abort marker present) can tear only what was
//    not yet fsynced, which is all after the checkpoint.
// 2. Consume queues lose entries pointing past the new end and move their
//    min up to the log's min; queues whose files lost entries are found
//    and emptied for a rebuild, or replayed from their last entry
//    (queue-repair.ts).
// 3. Replay: records from where the queues (checkpoint `dispatched`) and the
//    key index (its saved offset) stop are dispatched again; from the log's
//    start when queue files are missing or damaged, or the index was not
//    saved. Replay
//    reads only the fields indexing needs and does not re-verify CRCs (step
//    1 did, for everything not verified before). A damaged record whose
//    header still names a queue and the next offset there gets its entry,
//    so that a read reports it instead of skipping it.
import type { CommitLog } from "./commit-log.js";
import type { Checkpoint } from "./checkpoint.js";
import type { Dispatcher } from "./dispatch.js";
import { scanLog, type ByteRange, type LogBytes } from "./log-scan.js";
import { isTopicName } from "./put-batch.js";
import { DamageKind, type Quarantine } from "./quarantine.js";
import type { QueueTable } from "./queue-table.js";
import { keepOffsets, planQueueRepair, rebuiltQueues, type KeptOffsets, type QueueRepairPlan, type RebuiltQueue } from "./queue-repair.js";
import { RecordStatus } from "./status.js";
import { checkRecord, decodeDispatch, HEADER_BYTES, RECORD_MAGIC, readU64, recordFlags, recordPhysicalOffset } from "./record.js";
import { fillGap, GAP_TOPIC, isGap } from "./gap-record.js";
import { termCollector, type TermStart } from "./term-history.js";
import type { DispatchEntry } from "./types.js";

/** Where a record's header says it belongs, read from bytes that may be damaged. */
export interface RecordHead {
  /** "" when the topic is cut or unreadable. */
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
}

export interface TornTail extends ByteRange {
  /** The first record of the tail, when its header is still readable. */
  first: RecordHead | null;
}

export interface ClampedOffset {
  group: string;
  topic: string;
  queueId: number;
  from: number;
  to: number;
}

export interface RecoveryReport {
  abnormal: boolean;
  /** Where the check started. */
  checkedFrom: number;
  /** Bytes cut off the commit log's files (the torn tail that was still there). */
  truncatedBytes: number;
  /** Ranges that failed their checks and were kept in place (and copied to quarantine/). */
  damaged: ByteRange[];
  /**
   * What is gone from the end: [first byte cut, end the files or the
   * checkpoint claimed). Longer than truncatedBytes when the files were cut
   * below what the checkpoint says was on disk.
   */
  tornTail: TornTail | null;
  /** Committed consumer offsets moved back to their queue's new end (filled by MessageStore.open). */
  clampedOffsets: ClampedOffset[];
  /** Where replay into queues / key index started (-1: nothing replayed). */
  replayedFrom: number;
  replayedRecords: number;
  /** Consume queues whose files had lost entries, rewritten from the commit log (queue-repair.ts). */
  rebuiltQueues: RebuiltQueue[];
  /** Queue offsets whose messages are gone, kept as holes so that they are not reused. */
  keptOffsets: KeptOffsets[];
  /** Commit-log positions of a cut tail, filled with gap records so that no message id is reused. */
  gapFilled: ByteRange | null;
}

export interface RecoveryInput {
  log: CommitLog;
  queues: QueueTable;
  dispatcher: Dispatcher;
  checkpoint: Checkpoint | undefined;
  abnormal: boolean;
  /** Log offset the loaded key index covers, -1 if none was loaded. */
  keyIndexCovers: number;
  quarantine: Quarantine;
  /** The term stamped on the gap records recovery writes over a cut tail (the log's last, after the cut). */
  gapTerm: (checkedFrom: number) => number;
  now: number;
  /**
   * Fill a cut tail with gap records and keep lost queue offsets as holes
   * (false for one replica of a group: the master holds the lost records,
   * or they were never committed, so the slave fetches or truncates).
   */
  keepLost: boolean;
  /** Filled by the check: each term change among the records it scanned (its first record counts as one). */
  termChanges: TermStart[];
}

const REPLAY_BATCH = 4096;
/** The most recovery writes as gap records over a cut tail (or four segments, if less). */
const MAX_GAP_BYTES = 64 << 20;

export function recover(input: RecoveryInput): RecoveryReport {
  const { log, queues, checkpoint: cp, abnormal, quarantine } = input;
  const { from: checkedFrom, claimedEnd } = checkStart(log, cp);
  const scan = scanLog(log, checkedFrom, { verifyCrc: true, tailMayBeTorn: abnormal, record: termCollector(input.termChanges, log.segmentBytes) });
  scan.damaged.push(...cutSegments(log).filter((c) => !scan.damaged.some((d) => d.from === c.from)));
  scan.damaged.sort((a, b) => a.from - b.from);
  for (const r of scan.damaged) quarantine.keep(log, r, DamageKind.damaged);

  const fileEnd = log.maxOffset;
  const cutAt = scan.torn?.from ?? fileEnd;
  let tornTail: TornTail | null = null;
  if (scan.torn || claimedEnd > fileEnd) {
    const to = Math.max(fileEnd, claimedEnd);
    tornTail = { from: cutAt, to, bytes: to - cutAt, first: readHead(log, cutAt) };
    quarantine.keep(log, tornTail, DamageKind.torn);
  }
  const truncatedBytes = fileEnd - cutAt;
  if (truncatedBytes > 0) log.truncateTo(cutAt);
  // Where the lost tail ended: the files' end, the checkpoint's, or the furthest queue entry, whichever
  // is further; bounded, since a damaged checkpoint or entry could claim any end.
  const claimed = tornTail ? Math.max(tornTail.to, ...[...queues.all()].map((cq) => cq.lastPhysicalEnd())) : -1;
  const lostEnd = Math.min(claimed, cutAt + Math.min(MAX_GAP_BYTES, 4 * log.segmentBytes));

  const plan = planQueueRepair(log, queues);
  const report: RecoveryReport = {
    abnormal, checkedFrom, truncatedBytes, damaged: scan.damaged, tornTail, clampedOffsets: [], replayedFrom: -1, replayedRecords: 0,
    rebuiltQueues: [], keptOffsets: [], gapFilled: null,
  };
  replay(input, report, plan);
  report.rebuiltQueues = rebuiltQueues(plan);
  if (!input.keepLost) return report;
  report.keptOffsets = keepOffsets(plan);
  if (lostEnd > log.maxOffset) {
    const from = log.maxOffset;
    report.gapFilled = { from, to: from + fillGap(log, lostEnd, input.gapTerm(checkedFrom), input.now), bytes: log.maxOffset - from };
  }
  return report;
}

/** Where replay into the queues starts: the log's start when queues are missing or are being rebuilt. */
function queuesReplayFrom(input: RecoveryInput, plan: QueueRepairPlan): number {
  const { log, queues, checkpoint: cp } = input;
  if (queues.lostQueues || !cp || plan.rebuild.size > 0) return log.minOffset;
  // a manifest older than the checkpoint (its write failed) vouches only for entries up to its own offset
  const manifestCovers = queues.recordedDispatched === undefined ? Infinity : clamp(queues.recordedDispatched, log);
  return Math.min(clamp(cp.dispatched, log), manifestCovers, plan.replayFrom);
}

function replay(input: RecoveryInput, report: RecoveryReport, plan: QueueRepairPlan): void {
  const { log, dispatcher, quarantine } = input;
  const queuesFrom = queuesReplayFrom(input, plan);
  const keysFrom = input.keyIndexCovers < 0 ? log.minOffset : clamp(input.keyIndexCovers, log);
  const from = Math.min(queuesFrom, keysFrom);
  if (from >= log.maxOffset) return;

  const known = report.damaged.slice();
  let k = 0;
  const inDamaged = (offset: number): boolean => {
    while (k < known.length && known[k]!.to <= offset) k++;
    return k < known.length && known[k]!.from <= offset;
  };
  let batch: DispatchEntry[] = [];
  let batchIndexesKeys = true;
  // Replay trusts the CRC checks of earlier opens, except where an entry would
  // skip queue offsets (a rebuild over lost records): a flipped queue-offset
  // field there would fill a queue with holes up to a wild offset.
  const next = new Map<string, number>();
  /** False for an entry that would skip offsets on a record whose CRC fails. */
  const trustworthy = (e: DispatchEntry, buf: Buffer, at: number): boolean => {
    const key = `${e.topic}/${e.queueId}`;
    const expected = next.get(key) ?? input.queues.get(e.topic, e.queueId)?.max ?? 0;
    if (e.queueOffset > expected && !crcHolds(buf, at)) return false;
    if (e.queueOffset >= expected) next.set(key, e.queueOffset + 1);
    return true;
  };
  const flush = () => {
    dispatcher.dispatch(batch, batchIndexesKeys);
    batch = [];
  };
  const found = (r: ByteRange) => {
    // damage before the verified point, found only because replay reads there: kept in place
    if (report.damaged.some((d) => d.from === r.from)) return;
    report.damaged.push(r);
    quarantine.keep(log, r, DamageKind.damaged);
  };
  const scan = scanLog(log, from, {
    verifyCrc: false,
    tailMayBeTorn: false,
    record: (buf, at, offset) => {
      if (isGap(recordFlags(buf, at))) return;
      if (inDamaged(offset)) {
        if (offset < queuesFrom || known[k]!.from !== offset) return;
        flush();
        dispatchDamaged(input, buf, at, offset);
        return;
      }
      const indexKeys = offset >= keysFrom;
      const entry = decodeDispatch(buf, at, offset, offset < queuesFrom);
      if (entry === undefined) return; // only the key index is behind here, and this record has no keys
      if (offset >= queuesFrom && !trustworthy(entry, buf, at)) {
        // a header damaged after it was verified: its queue offset cannot be trusted to place an entry
        found({ from: offset, to: offset + entry.size, bytes: entry.size });
        return;
      }
      if (indexKeys !== batchIndexesKeys || batch.length >= REPLAY_BATCH) flush();
      batchIndexesKeys = indexKeys;
      batch.push(entry);
      report.replayedRecords++;
    },
    damaged: found,
  });
  if (scan.torn) found(scan.torn);
  flush();
  report.damaged.sort((a, b) => a.from - b.from);
  report.replayedFrom = from;
}

function crcHolds(buf: Buffer, at: number): boolean {
  return checkRecord(buf, at, buf.length, true) === RecordStatus.OK;
}

/** A queue entry for a damaged record, only where its header names a real queue and that queue's next offset. */
function dispatchDamaged(input: RecoveryInput, buf: Buffer, at: number, offset: number): void {
  const e = decodeDispatch(buf, at, offset, false)!;
  if (!isTopicName(e.topic) || e.topic === GAP_TOPIC) return;
  if (e.queueOffset > (input.queues.get(e.topic, e.queueId)?.max ?? 0)) return;
  input.dispatcher.dispatch([{ ...e, keys: "" }], false);
}

/**
 * Segments (not the last) whose files end too early: by the placement rule
 * a segment ends only where the next segment's first record did not fit,
 * so a shorter file lost its end (even inside the verified range). One
 * header read per segment.
 */
function cutSegments(log: CommitLog): ByteRange[] {
  const out: ByteRange[] = [];
  const segs = log.segments;
  for (let i = 0; i + 1 < segs.length; i++) {
    const seg = segs[i]!;
    const nextBase = segs[i + 1]!.base;
    const head = log.read(nextBase, 8);
    const nextSize = head.length === 8 ? head.readUInt32BE(0) : 0;
    const next = nextSize <= log.segmentBytes ? log.read(nextBase, nextSize) : head;
    const nextOk = checkRecord(next, 0, next.length) === RecordStatus.OK && recordPhysicalOffset(next, 0) === nextBase;
    // with the next record damaged too the rule cannot clear this end: report it, next to the damage
    if (nextOk && seg.size + nextSize > log.segmentBytes) continue;
    const from = seg.base + seg.size;
    const to = seg.base + log.segmentBytes;
    // a full segment has no end to lose; an empty range here would hide the next segment's damage, reported at the same offset
    if (from < to) out.push({ from, to, bytes: to - from });
  }
  return out;
}

function checkStart(log: CommitLog, cp: Checkpoint | undefined): { from: number; claimedEnd: number } {
  const claimedEnd = Math.max(cp?.commitLog ?? -1, cp?.verified ?? -1);
  const mark = cp?.verified;
  if (mark === undefined || !Number.isSafeInteger(mark) || mark > log.maxOffset) return { from: log.minOffset, claimedEnd };
  return { from: Math.max(mark, log.minOffset), claimedEnd };
}

/** The header fields of the record at `offset`, if its magic and own offset are intact. */
export function readHead(log: LogBytes, offset: number): RecordHead | null {
  const head = log.read(offset, HEADER_BYTES + 2 + 255);
  if (head.length < HEADER_BYTES + 2 || head.readUInt32BE(4) !== RECORD_MAGIC || recordPhysicalOffset(head, 0) !== offset) return null;
  const topicEnd = HEADER_BYTES + 2 + head.readUInt16BE(HEADER_BYTES);
  const topic = topicEnd <= head.length ? head.toString("utf8", HEADER_BYTES + 2, topicEnd) : "";
  return { topic: isTopicName(topic) ? topic : "", queueId: head.readUInt32BE(28), queueOffset: readU64(head, 32), commitLogOffset: offset };
}

function clamp(offset: number, log: CommitLog): number {
  return Math.min(Math.max(offset, log.minOffset), log.maxOffset);
}
