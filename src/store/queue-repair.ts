// Consume queues are derived data (RocketMQ rebuilds them from the commit
// log), so damage to their files is repaired, never passed on as a silent
// gap. At open, after the commit log is checked, each queue is examined
// with a few reads, never a scan:
// - its files: every file but the last must be full and the next one
//   present (a middle file deleted or cut lost entries);
// - its front: a first valid entry above the manifest's recorded min lost
//   the entries before it, unless retention explains it (the first valid
//   entry points at or below the log's min, so the ones before it did too);
// - its first and last entries: each must point at a record whose header
//   names this topic, queue and queue offset (a hole or a stray pointer
//   there is damage);
// - its end: files that end below the recorded max (cut, a torn entry
//   trimmed) lost entries there.
// A queue that lost only its end is replayed from its last entry's record
// (cheap). Any other damage empties the queue, which replay then rebuilds
// whole from the log's start; entries whose records are gone stay holes
// that a read reports. The manifest keeps its old ranges until the first
// flush after recovery, so a crash mid-rebuild finds the damage again.
import type { CommitLog } from "./commit-log.js";
import type { ConsumeQueue } from "./consume-queue.js";
import type { QueueRange, QueueTable } from "./queue-table.js";
import { readHead } from "./recovery.js";

/** A queue whose entries recovery wrote again from the commit log. */
export interface RebuiltQueue {
  topic: string;
  queueId: number;
  /** Queue offsets [from, to) rewritten. */
  from: number;
  to: number;
  /** Entries written (holes left for records that are gone not counted). */
  entries: number;
}

/** Queue offsets [from, to) whose entries are gone, kept so that they are not handed out again. */
export interface KeptOffsets {
  topic: string;
  queueId: number;
  from: number;
  to: number;
}

export interface QueueRepairPlan {
  /** Where replay must start for queues that lost their end (Infinity: none did). */
  replayFrom: number;
  /** Each queue that may end below where it ended before, with that end. */
  keep: Map<ConsumeQueue, number>;
  /** Queues emptied, to be rebuilt from the log's start, with their max before. */
  rebuild: Map<ConsumeQueue, number>;
  /** Queues replayed from their last entry, with their max before. */
  extend: Map<ConsumeQueue, number>;
}

/** Cuts entries past the log's end, moves mins up to the log's min, and finds damaged queues. */
export function planQueueRepair(log: CommitLog, queues: QueueTable): QueueRepairPlan {
  const plan: QueueRepairPlan = { replayFrom: Infinity, keep: new Map(), rebuild: new Map(), extend: new Map() };
  for (const cq of queues.all()) {
    const rec = queues.recordedRange(cq);
    const frontLost = rec !== undefined && lostFront(log, cq, rec);
    const before = cq.max;
    const end = Math.max(before, rec?.max ?? 0);
    cq.truncatePhysical(log.maxOffset);
    cq.correctMin(log.minOffset);
    if (cq.max < end) plan.keep.set(cq, end);
    if (frontLost || !cq.filesIntact() || !pointsAtItself(log, cq, cq.min) || !pointsAtItself(log, cq, cq.max - 1)) {
      plan.rebuild.set(cq, cq.max);
      plan.keep.set(cq, Math.max(end, cq.max));
      cq.reset();
      continue;
    }
    // an entry damaged to point past the end cut the (binary-searched) queue there: replay restores the rest
    if (cq.max < before || (rec !== undefined && cq.max < rec.max)) {
      plan.replayFrom = Math.min(plan.replayFrom, Math.max(cq.lastPhysicalEnd(), log.minOffset));
      plan.extend.set(cq, cq.max);
    }
  }
  return plan;
}

/**
 * After replay: a queue whose last entries are gone for good (their records
 * were cut from the log's tail, or its own files lost them) keeps its old
 * end, with holes where the entries were, so that no queue offset is ever
 * handed out twice. A consumer that read one of the lost messages, or
 * committed past it, would otherwise skip the new message that took its
 * offset; instead a read of a hole answers CORRUPT_RECORD and the next
 * message lands after the old end. An emptied queue just starts there.
 */
export function keepOffsets(plan: QueueRepairPlan): KeptOffsets[] {
  const out: KeptOffsets[] = [];
  for (const [cq, end] of plan.keep) {
    const from = cq.max;
    if (from >= end) continue;
    if (cq.min === from) cq.reset(end);
    else cq.reserveTo(end);
    out.push({ topic: cq.topic, queueId: cq.queueId, from, to: end });
  }
  return out;
}

/** After replay, before keepOffsets: what replay wrote again, per queue. */
export function rebuiltQueues(plan: QueueRepairPlan): RebuiltQueue[] {
  const out: RebuiltQueue[] = [];
  for (const [cq] of plan.rebuild) {
    out.push({ topic: cq.topic, queueId: cq.queueId, from: cq.min, to: cq.max, entries: cq.countEntries() });
  }
  for (const [cq, before] of plan.extend) {
    if (cq.max > before) out.push({ topic: cq.topic, queueId: cq.queueId, from: before, to: cq.max, entries: cq.max - before });
  }
  return out;
}

function lostFront(log: CommitLog, cq: ConsumeQueue, rec: QueueRange): boolean {
  if (rec.min >= Math.min(cq.min, rec.max)) return false;
  const first = cq.entry(cq.min);
  return first === undefined || first[0] > log.minOffset;
}

/**
 * Whether the entry at `logical` names a record that names it back. A record
 * whose header is unreadable (damaged in the log) passes when its size field
 * matches the entry: a read reports it, and a rebuild could not do better.
 */
function pointsAtItself(log: CommitLog, cq: ConsumeQueue, logical: number): boolean {
  if (cq.min >= cq.max) return true;
  const e = cq.entry(logical);
  if (e === undefined || e[1] === 0) return false;
  const [offset, size] = e;
  if (offset < log.minOffset) return true; // removed by retention
  const head = readHead(log, offset);
  if (head && head.topic !== "") return head.topic === cq.topic && head.queueId === cq.queueId && head.queueOffset === logical;
  const sizeField = log.read(offset, 4);
  return sizeField.length === 4 && sizeField.readUInt32BE(0) === size;
}
