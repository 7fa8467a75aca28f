// Checks bytes produced by another store (a master's readRaw) before a slave
// appends them: every record must pass its CRC, sit exactly where this
// log's placement rule puts it, not go back in its queue, and not carry a
// term below the one before it. All or nothing: one bad record rejects the
// lot. Control records (gap, term start) take no queue offset.
//
// A record may skip queue offsets (the master kept offsets of records it
// lost as holes, queue-repair.ts), by at most MAX_QUEUE_SKIP in a queue
// that is not empty: each skipped offset becomes a hole in the slave's
// queue files, and a skip past that is no kept range recovery leaves (its
// lost tail is bounded), so it is refused (OFFSET_MISMATCH) rather than
// written as gigabytes of holes. A first record of a queue may start anywhere.
import { placeRecord, type CommitLog } from "./commit-log.js";
import { isGap, isTermStart } from "./gap-record.js";
import { isTopicName } from "./put-batch.js";
import type { QueueTable } from "./queue-table.js";
import { checkRecord, decodeRecord, recordPhysicalOffset, recordSize } from "./record.js";
import { AppendRawStatus, RecordStatus } from "./status.js";
import type { TermStart } from "./term-history.js";
import type { StoredMessage } from "./types.js";

/** Most queue offsets one record may skip in a queue that already has entries. */
export const MAX_QUEUE_SKIP = 1 << 20;

export interface CheckedRaw {
  status: AppendRawStatus;
  records: StoredMessage[];
  positions: number[];
  sizes: number[];
  end: number;
  /** Terms that begin in these records (above `lastTerm`), in order. */
  newTerms: TermStart[];
}

/** `lastTerm`: the term of this log's last record, -1 if it has none (a record below it does not belong after it: OFFSET_MISMATCH). */
export function checkRaw(log: CommitLog, queues: QueueTable, bytes: Buffer, lastTerm: number): CheckedRaw {
  const newTerms: TermStart[] = [];
  let term = lastTerm;
  const records: StoredMessage[] = [];
  const positions: number[] = [];
  const sizes: number[] = [];
  const next = new Map<string, number>();
  let pos = log.maxOffset;
  let at = 0;
  let lastTopic = "";
  let lastQueue = -1;
  let lastKey = "";
  const fail = (status: AppendRawStatus): CheckedRaw => ({ status, records: [], positions: [], sizes: [], end: log.maxOffset, newTerms: [] });
  while (at < bytes.length) {
    if (checkRecord(bytes, at, bytes.length) !== RecordStatus.OK) return fail(AppendRawStatus.CORRUPT);
    const size = recordSize(bytes, at);
    if (size > log.segmentBytes) return fail(AppendRawStatus.CORRUPT);
    const expected = placeRecord(pos, size, log.segmentBytes);
    if (recordPhysicalOffset(bytes, at) !== expected) return fail(AppendRawStatus.OFFSET_MISMATCH);
    const m = decodeRecord(bytes, at, { properties: false });
    if (!isTopicName(m.topic)) return fail(AppendRawStatus.CORRUPT);
    if (m.term < term && !legacyGap(m.flags)) return fail(AppendRawStatus.OFFSET_MISMATCH);
    if (m.term > term) {
      newTerms.push({ term: m.term, start: pos }); // the log's end, before a roll to the next segment
      term = m.term;
    }
    if (!isGap(m.flags)) {
      // chunks hold runs of one queue: its key is built once per run, not once per record
      if (m.topic !== lastTopic || m.queueId !== lastQueue) {
        lastTopic = m.topic;
        lastQueue = m.queueId;
        lastKey = `${m.topic}/${m.queueId}`;
      }
      const qkey = lastKey;
      const cq = queues.get(m.topic, m.queueId);
      const queueNext = next.get(qkey) ?? cq?.max ?? 0;
      const hasEntries = next.has(qkey) || (cq !== undefined && cq.max > cq.min);
      if (m.queueOffset < queueNext) return fail(AppendRawStatus.OFFSET_MISMATCH);
      if (hasEntries && m.queueOffset - queueNext > MAX_QUEUE_SKIP) return fail(AppendRawStatus.OFFSET_MISMATCH);
      next.set(qkey, m.queueOffset + 1);
    }
    records.push(m);
    positions.push(expected);
    sizes.push(size);
    pos = expected + size;
    at += size;
  }
  return { status: AppendRawStatus.APPEND_OK, records, positions, sizes, end: pos, newTerms };
}

/** Gap records written before they carried the log's last term bear the store's configured one (often 0). */
function legacyGap(flags: number): boolean {
  return isGap(flags) && !isTermStart(flags);
}
