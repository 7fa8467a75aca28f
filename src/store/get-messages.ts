// The read path (RocketMQ's DefaultMessageStore.getMessage): consume-queue
// entries from a logical offset, then the records they point at.
//
// Reads are plain pread()s served by the OS page cache (no mmap in Node,
// no cache of our own): one read for the block of entries, then one read
// per run of records that lie within READ_SPAN of each other in the same
// segment. A queue read alone, or a few queues interleaved, cost one
// commit-log read per batch. Bodies are slices of that read's buffer. A
// raw read (a broker's binary pull) goes into one buffer kept for the
// purpose (READ_SPAN, 1 MiB) and its records are copied out together into
// a buffer of their exact size: a pull of one of four interleaved queues
// reads four times what it returns, and allocating that span per pull
// was most of what a drain left for the GC and the allocator to reclaim.
//
// Only committed entries are read (visibility.ts): maxOffset is the visible
// end, and a read at it answers NO_NEW_MSG.
//
// A record that fails its checks (CRC, length, its own offset, queue and
// queue offset against the entry), or a hole inside the queue, is never
// skipped in silence: the messages before it come back FOUND with
// nextOffset at it, and a get that starts at it answers CORRUPT_RECORD.
import type { CommitLog } from "./commit-log.js";
import { entryOffset, entrySize, entryTagHash, type ConsumeQueue } from "./consume-queue.js";
import { checkRecord, decodeRecord, HEADER_BYTES, readU64, recordPhysicalOffset, recordSize } from "./record.js";
import { GetStatus, RecordStatus } from "./status.js";
import type { StoredMessage } from "./types.js";

export interface GetOptions {
  /** Stop before this many bytes of records (at least one message is always returned). */
  maxBytes?: number;
  /** Only messages whose tag hash (tagHash()) is in the set; undefined for all. */
  tagHashes?: ReadonlySet<bigint>;
  /**
   * Return the records' bytes (in `records`, CRC-checked, undecoded) instead
   * of decoded messages: a broker's binary pull reply ships them as they are.
   */
  raw?: boolean;
}

export interface GetResult {
  status: GetStatus;
  messages: StoredMessage[];
  /** With `raw`: one slice per record, in queue order. */
  records: Buffer[];
  /** Where the next get should start. */
  nextOffset: number;
  minOffset: number;
  maxOffset: number;
  /** With CORRUPT_RECORD only: the damaged record (nextOffset above stays at it). */
  corrupt?: CorruptRecord;
}

/** A record a read could not return, named so that a consumer can report it and step over it. */
export interface CorruptRecord {
  topic: string;
  queueId: number;
  queueOffset: number;
  /** Where the queue entry points; -1 when the entry itself is missing (a hole). */
  commitLogOffset: number;
  /** The size the queue entry claims; 0 for a hole. */
  size: number;
  /** The queue offset after it: where a consumer resumes once it has reported this one. */
  nextOffset: number;
}

/** Largest single commit-log read covering several records. */
const READ_SPAN = 1 << 20;
/** Entries examined per get when a tag filter skips most of them. */
const FILTER_SCAN_LIMIT = 16_000;

interface Pick {
  logical: number;
  clOffset: number;
  size: number;
}

export function getMessages(
  log: CommitLog, cq: ConsumeQueue | undefined, offset: number, maxCount: number,
  opts: GetOptions = {}, verifyCrc = true,
): GetResult {
  if (!cq || cq.max === 0) return result(GetStatus.NO_MESSAGE_IN_QUEUE, [], 0, 0, 0);
  // entries past the visible end are not committed yet: a read there waits (NO_NEW_MSG, nextOffset stays)
  const min = cq.min;
  const max = cq.visibleMax;
  const end = cq.max;
  if (offset < min) return result(GetStatus.OFFSET_TOO_SMALL, [], min, min, max);
  if (offset >= max && offset <= end) return result(GetStatus.NO_NEW_MSG, [], offset, min, max);
  if (offset === end + 1) return result(GetStatus.OFFSET_OVERFLOW_ONE, [], end, min, max);
  if (offset > end) return result(GetStatus.OFFSET_OVERFLOW_BADLY, [], end, min, max);

  const filter = opts.tagHashes;
  const maxBytes = opts.maxBytes ?? Infinity;
  const limit = filter ? Math.max(maxCount, FILTER_SCAN_LIMIT) : maxCount;
  const messages: StoredMessage[] = [];
  const records: Buffer[] = [];
  const out: Out = opts.raw ? { kind: "raw", records } : { kind: "decoded", messages };
  const count = () => messages.length + records.length;
  const topicBytes = Buffer.from(cq.topic); // each record must name this queue's topic
  let bytes = 0;
  let pos = offset;
  while (pos < max && count() < maxCount && pos - offset < limit) {
    const want = filter ? Math.min(1024, limit - (pos - offset)) : maxCount - count();
    const entries = cq.read(pos, Math.min(want, max - pos));
    const n = entries.length / 20;
    if (n === 0) break;
    const picks: Pick[] = [];
    for (let i = 0; i < n; i++) {
      const size = entrySize(entries, i);
      const clOffset = entryOffset(entries, i);
      if (size === 0) {
        picks.push({ logical: pos + i, clOffset: -1, size: 0 }); // a hole inside the queue: an entry lost
        break;
      }
      if (clOffset < log.minOffset) continue; // removed by retention
      if (filter && !filter.has(entryTagHash(entries, i))) continue;
      picks.push({ logical: pos + i, clOffset, size });
      if (count() + picks.length >= maxCount) break;
    }
    const before = count();
    const stop = readPicks(log, topicBytes, cq.queueId, picks, out, maxBytes - bytes, verifyCrc);
    for (const p of picks.slice(0, count() - before)) bytes += p.size;
    if (stop.corrupt && count() === 0) return corruptResult(cq, stop.corrupt, min, max);
    if (stop.at >= 0) {
      pos = stop.at;
      break;
    }
    const last = picks.at(-1);
    pos = count() >= maxCount && last ? last.logical + 1 : pos + n;
    if (bytes >= maxBytes) break;
  }
  const status = count() > 0 ? GetStatus.FOUND : GetStatus.NO_MATCHED_MSG;
  return { status, messages, records, nextOffset: pos, minOffset: min, maxOffset: max };
}

type Out = { kind: "decoded"; messages: StoredMessage[] } | { kind: "raw"; records: Buffer[] };

/** Where readPicks stopped: `at` the first pick not taken (-1: all taken); `corrupt` if that pick is damaged. */
interface Stop {
  at: number;
  corrupt?: Pick;
}

/** The raw reads' span buffer, made at the first one. */
let spanScratch: Buffer | undefined;

/** Reads the picked records into `out` until the byte budget ends or a pick fails its checks. */
function readPicks(log: CommitLog, topic: Buffer, queueId: number, picks: Pick[], out: Out, budget: number, verifyCrc: boolean): Stop {
  /** With raw output from the scratch buffer: [at, size] of each record taken from the current span, copied out by emit(). */
  const held: number[] = [];
  let from: Buffer | undefined;
  const taken = () => (out.kind === "raw" ? out.records.length + held.length / 2 : out.messages.length);
  const emit = () => {
    if (held.length === 0 || out.kind !== "raw") return;
    let total = 0;
    for (let h = 1; h < held.length; h += 2) total += held[h]!;
    const copy = Buffer.allocUnsafe(total);
    for (let h = 0, to = 0; h < held.length; to += held[h + 1]!, h += 2) {
      from!.copy(copy, to, held[h]!, held[h]! + held[h + 1]!);
      out.records.push(copy.subarray(to, to + held[h + 1]!));
    }
    held.length = 0;
  };
  const stop = (s: Stop): Stop => (emit(), s);
  const seg = log.segmentBytes;
  let i = 0;
  while (i < picks.length) {
    const first = picks[i]!;
    if (first.size === 0) return { at: first.logical, corrupt: first };
    let j = i + 1;
    let end = first.clOffset + first.size;
    const segOf = Math.floor(first.clOffset / seg);
    for (; j < picks.length; j++) {
      const p = picks[j]!;
      const pEnd = p.clOffset + p.size;
      if (p.size === 0 || Math.floor(p.clOffset / seg) !== segOf || p.clOffset < first.clOffset || pEnd - first.clOffset > READ_SPAN) break;
      end = Math.max(end, pEnd);
    }
    const span = end - first.clOffset;
    const reuse = out.kind === "raw" && span <= READ_SPAN;
    const buf = reuse ? log.readInto(first.clOffset, span, (spanScratch ??= Buffer.allocUnsafe(READ_SPAN))) : log.read(first.clOffset, span);
    from = buf;
    for (let k = i; k < j; k++) {
      const p = picks[k]!;
      if (p.size > budget && taken() > 0) return stop({ at: p.logical });
      const at = p.clOffset - first.clOffset;
      if (!recordMatches(buf, at, p, topic, queueId, verifyCrc)) return stop({ at: p.logical, corrupt: p });
      if (reuse) held.push(at, p.size);
      else if (out.kind === "raw") out.records.push(buf.subarray(at, at + p.size));
      else out.messages.push(decodeRecord(buf, at));
      budget -= p.size;
    }
    emit();
    i = j;
  }
  return { at: -1 };
}

/** The record passes its checks and is the one the entry names (an entry pointing elsewhere is damage too). */
function recordMatches(buf: Buffer, at: number, p: Pick, topic: Buffer, queueId: number, verifyCrc: boolean): boolean {
  const end = Math.min(buf.length, at + p.size);
  if (checkRecord(buf, at, end, verifyCrc) !== RecordStatus.OK || recordSize(buf, at) !== p.size) return false;
  if (recordPhysicalOffset(buf, at) !== p.clOffset || buf.readUInt32BE(at + 28) !== queueId || readU64(buf, at + 32) !== p.logical) return false;
  const topicLen = buf.readUInt16BE(at + HEADER_BYTES);
  return topicLen === topic.length && buf.compare(topic, 0, topicLen, at + HEADER_BYTES + 2, at + HEADER_BYTES + 2 + topicLen) === 0;
}

function corruptResult(cq: ConsumeQueue, p: Pick, minOffset: number, maxOffset: number): GetResult {
  const corrupt: CorruptRecord = {
    topic: cq.topic, queueId: cq.queueId, queueOffset: p.logical, commitLogOffset: p.clOffset, size: p.size, nextOffset: p.logical + 1,
  };
  return { status: GetStatus.CORRUPT_RECORD, messages: [], records: [], nextOffset: p.logical, minOffset, maxOffset, corrupt };
}

function result(status: GetStatus, messages: StoredMessage[], nextOffset: number, minOffset: number, maxOffset: number): GetResult {
  return { status, messages, records: [], nextOffset, minOffset, maxOffset };
}
