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
import { crc32Range } from "./crc32.js";
import { isGap, isTermStart } from "./gap-record.js";
import { isTopicName } from "./put-batch.js";
import type { QueueTable } from "./queue-table.js";
import { FIXED_BYTES, HEADER_BYTES, RECORD_MAGIC, readU64 } from "./record.js";
import { AppendRawStatus } from "./status.js";
import type { TermStart } from "./term-history.js";
import type { DispatchEntry } from "./types.js";

/** Most queue offsets one record may skip in a queue that already has entries. */
export const MAX_QUEUE_SKIP = 1 << 20;
/** The CRC covers a record from this byte (after its size, magic and CRC fields). */
const CRC_FROM = 12;

export interface CheckedRaw {
  status: AppendRawStatus;
  /** Consume-queue entries of the records that take a queue offset (not gap or term-start records), in log order. */
  entries: DispatchEntry[];
  positions: number[];
  sizes: number[];
  end: number;
  /** Terms that begin in these records (above `lastTerm`), in order. */
  newTerms: TermStart[];
  /** Store timestamp of the last record (0 when there is none). */
  lastStoreTimestamp: number;
}

/** A queue's next offset while a chunk is checked. */
interface QueueNext {
  next: number;
  /** The queue holds entries (or got one from this chunk): a skip past MAX_QUEUE_SKIP is refused. */
  has: boolean;
}

/**
 * `lastTerm`: the term of this log's last record, -1 if it has none (a
 * record below it does not belong after it: OFFSET_MISMATCH). One pass
 * over the records' lengths: each record's CRC is checked once, its
 * length prefixes must add up, and only the fields a queue entry needs
 * are read. A topic's name is decoded and checked when it differs from
 * the record before's (chunks hold long runs of one topic).
 */
export function checkRaw(log: CommitLog, queues: QueueTable, bytes: Buffer, lastTerm: number): CheckedRaw {
  const newTerms: TermStart[] = [];
  let term = lastTerm;
  const entries: DispatchEntry[] = [];
  const positions: number[] = [];
  const sizes: number[] = [];
  const byTopic = new Map<string, Map<number, QueueNext>>();
  let topic = "";
  let topicAt = -1;
  let topicLen = -1;
  let ofTopic = new Map<number, QueueNext>();
  let pos = log.maxOffset;
  let at = 0;
  let last = -1;
  const fail = (status: AppendRawStatus): CheckedRaw => ({ status, entries: [], positions: [], sizes: [], end: log.maxOffset, newTerms: [], lastStoreTimestamp: 0 });
  while (at < bytes.length) {
    if (bytes.length - at < FIXED_BYTES || bytes.readUInt32BE(at + 4) !== RECORD_MAGIC) return fail(AppendRawStatus.CORRUPT);
    const size = bytes.readUInt32BE(at);
    if (size < FIXED_BYTES || size > bytes.length - at || size > log.segmentBytes) return fail(AppendRawStatus.CORRUPT);
    if (crc32Range(bytes, at + CRC_FROM, at + size) !== bytes.readUInt32BE(at + 8)) return fail(AppendRawStatus.CORRUPT);
    // the length prefixes must add up to exactly the size (a CRC cannot catch an encoder's bug)
    const end = at + size;
    const tLen = bytes.readUInt16BE(at + HEADER_BYTES);
    const tagsAt = at + HEADER_BYTES + 2 + tLen;
    if (tagsAt + 2 > end) return fail(AppendRawStatus.CORRUPT);
    const keysAt = tagsAt + 2 + bytes.readUInt16BE(tagsAt);
    if (keysAt + 2 > end) return fail(AppendRawStatus.CORRUPT);
    const propsAt = keysAt + 2 + bytes.readUInt16BE(keysAt);
    if (propsAt + 4 > end) return fail(AppendRawStatus.CORRUPT);
    const bodyAt = propsAt + 4 + bytes.readUInt32BE(propsAt);
    if (bodyAt + 4 > end || bodyAt + 4 + bytes.readUInt32BE(bodyAt) !== end) return fail(AppendRawStatus.CORRUPT);

    const expected = placeRecord(pos, size, log.segmentBytes);
    if (readU64(bytes, at + 20) !== expected) return fail(AppendRawStatus.OFFSET_MISMATCH);
    if (!sameBytes(bytes, at + HEADER_BYTES + 2, tLen, topicAt, topicLen)) {
      topic = bytes.toString("utf8", at + HEADER_BYTES + 2, tagsAt);
      if (!isTopicName(topic)) return fail(AppendRawStatus.CORRUPT);
      topicAt = at + HEADER_BYTES + 2;
      topicLen = tLen;
      ofTopic = byTopic.get(topic) ?? new Map();
      byTopic.set(topic, ofTopic);
    }
    const flags = bytes.readUInt32BE(at + 56);
    const recTerm = readU64(bytes, at + 12);
    if (recTerm < term && !legacyGap(flags)) return fail(AppendRawStatus.OFFSET_MISMATCH);
    if (recTerm > term) {
      newTerms.push({ term: recTerm, start: pos }); // the log's end, before a roll to the next segment
      term = recTerm;
    }
    if (!isGap(flags)) {
      const queueId = bytes.readUInt32BE(at + 28);
      const queueOffset = readU64(bytes, at + 32);
      let q = ofTopic.get(queueId);
      if (!q) {
        const cq = queues.get(topic, queueId);
        ofTopic.set(queueId, (q = { next: cq?.max ?? 0, has: cq !== undefined && cq.max > cq.min }));
      }
      if (queueOffset < q.next) return fail(AppendRawStatus.OFFSET_MISMATCH);
      if (q.has && queueOffset - q.next > MAX_QUEUE_SKIP) return fail(AppendRawStatus.OFFSET_MISMATCH);
      q.next = queueOffset + 1;
      q.has = true;
      const tagsLen = keysAt - tagsAt - 2;
      const keysLen = propsAt - keysAt - 2;
      entries.push({
        topic, queueId, queueOffset, commitLogOffset: expected, size,
        tags: tagsLen === 0 ? "" : bytes.toString("utf8", tagsAt + 2, keysAt),
        keys: keysLen === 0 ? "" : bytes.toString("utf8", keysAt + 2, propsAt),
      });
    }
    positions.push(expected);
    sizes.push(size);
    pos = expected + size;
    last = at;
    at = end;
  }
  const lastStoreTimestamp = last < 0 ? 0 : readU64(bytes, last + 48);
  return { status: AppendRawStatus.APPEND_OK, entries, positions, sizes, end: pos, newTerms, lastStoreTimestamp };
}

/** Whether buf[a, a + len) equals buf[b, b + bLen): a topic repeated from the record before. */
function sameBytes(buf: Buffer, a: number, len: number, b: number, bLen: number): boolean {
  if (len !== bLen || b < 0) return false;
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Gap records written before they carried the log's last term bear the store's configured one (often 0). */
function legacyGap(flags: number): boolean {
  return isGap(flags) && !isTermStart(flags);
}
