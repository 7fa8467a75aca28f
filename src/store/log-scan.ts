// Walks commit-log segments record by record, checking each one, and keeps
// going past damage (as Kafka's log recovery and RocketMQ's checkMessage do
// not: they cut the log at the first bad record). Used by recovery and by
// `rbus store verify`.
//
// At a record that fails its checks:
// - if its length field is intact (the record at pos + size checks out at
//   its own offset, or it ends exactly at the segment's end with a header
//   naming its own position) the range is that one record;
// - otherwise the scan resynchronizes on the next valid record: magic,
//   physicalOffset equal to its position, and a good CRC.
// Records never straddle segments, so every segment starts clean. What has
// no valid record after it in the last segment is a torn tail; in any other
// segment it is damage (the next segment still starts at its own base).
import { checkRecord, FIXED_BYTES, RECORD_MAGIC, recordPhysicalOffset, recordSize } from "./record.js";
import { RecordStatus } from "./status.js";

/** What a scan needs from a log: the commit log, or a read-only view of its files. */
export interface LogBytes {
  readonly segments: readonly { readonly base: number; readonly size: number }[];
  /** Bytes [offset, offset + len) from one segment; shorter if its data ends first. */
  read(offset: number, len: number): Buffer;
}

/** A byte range [from, to) of the commit log that holds no readable record. */
export interface ByteRange {
  from: number;
  to: number;
  bytes: number;
}

export interface ScanOptions {
  verifyCrc: boolean;
  /**
   * A bad final record whose length looks intact is torn (true: the last
   * run died, so the tail may be half-written) or damaged in place (false).
   */
  tailMayBeTorn: boolean;
  record?: (buf: Buffer, at: number, offset: number) => void;
  damaged?: (range: ByteRange) => void;
  /** Called every few MiB with the position reached. */
  progress?: (offset: number) => void;
}

export interface ScanResult {
  /** One past the last byte kept: the torn tail's start, or the log's end. */
  end: number;
  damaged: ByteRange[];
  torn: ByteRange | undefined;
  records: number;
  recordBytes: number;
}

const SCAN_CHUNK = 4 << 20;
const MAGIC = Buffer.from([0x52, 0x42, 0x00, 0x01]);
if (MAGIC.readUInt32BE(0) !== RECORD_MAGIC) throw new Error("log-scan: magic out of date");

export function scanLog(log: LogBytes, from: number, opts: ScanOptions): ScanResult {
  const out: ScanResult = { end: from, damaged: [], torn: undefined, records: 0, recordBytes: 0 };
  const segs = log.segments;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const segEnd = seg.base + seg.size;
    if (segEnd <= from && i < segs.length - 1) continue;
    const last = i === segs.length - 1;
    let pos = Math.max(from, seg.base);
    while (pos < segEnd) {
      pos = scanGood(log, pos, segEnd, opts, out);
      if (pos >= segEnd) break;
      const next = stepOver(log, pos, segEnd, opts, last) ?? resync(log, pos + 1, segEnd, opts.verifyCrc);
      if (next < 0 && last) {
        out.torn = { from: pos, to: segEnd, bytes: segEnd - pos };
        out.end = pos;
        return out;
      }
      const to = next < 0 ? segEnd : next;
      const range = { from: pos, to, bytes: to - pos };
      out.damaged.push(range);
      opts.damaged?.(range);
      pos = to;
    }
    out.end = segEnd;
  }
  return out;
}

/** Visits good records from `pos`; returns where the first bad one starts (or segEnd). */
function scanGood(log: LogBytes, pos: number, segEnd: number, opts: ScanOptions, out: ScanResult): number {
  while (pos < segEnd) {
    const chunk = log.read(pos, Math.min(SCAN_CHUNK, segEnd - pos));
    if (chunk.length === 0) return pos;
    let at = 0;
    while (at < chunk.length) {
      const status = checkRecord(chunk, at, chunk.length, opts.verifyCrc);
      if (status === RecordStatus.OK && recordPhysicalOffset(chunk, at) === pos + at) {
        const size = recordSize(chunk, at);
        opts.record?.(chunk, at, pos + at);
        out.records++;
        out.recordBytes += size;
        at += size;
        continue;
      }
      // a record cut by the chunk (not by the file) is read again from its start
      const cutByChunk = status === RecordStatus.TRUNCATED && pos + chunk.length < segEnd;
      if (cutByChunk && at > 0) break;
      if (cutByChunk && chunk.length >= 8 && recordSize(chunk, 0) <= segEnd - pos) {
        const whole = log.read(pos, recordSize(chunk, 0));
        if (isRecordAt(whole, 0, pos, opts.verifyCrc)) {
          opts.record?.(whole, 0, pos);
          out.records++;
          out.recordBytes += whole.length;
          at = whole.length;
          break;
        }
      }
      return pos + at;
    }
    pos += at;
    opts.progress?.(pos);
  }
  return pos;
}

function isRecordAt(buf: Buffer, at: number, offset: number, verifyCrc: boolean): boolean {
  return checkRecord(buf, at, buf.length, verifyCrc) === RecordStatus.OK && recordPhysicalOffset(buf, at) === offset;
}

/** The end of the bad record at `pos` if its length field can be trusted, else undefined. */
function stepOver(log: LogBytes, pos: number, segEnd: number, opts: ScanOptions, last: boolean): number | undefined {
  const head = log.read(pos, 28);
  if (head.length < 28) return undefined;
  const size = recordSize(head, 0);
  if (size < FIXED_BYTES || pos + size > segEnd) return undefined;
  if (pos + size === segEnd) {
    const headerIntact = head.readUInt32BE(4) === RECORD_MAGIC && recordPhysicalOffset(head, 0) === pos;
    return headerIntact && !(last && opts.tailMayBeTorn) ? segEnd : undefined;
  }
  return recordAt(log, pos + size, segEnd, opts.verifyCrc) ? pos + size : undefined;
}

function recordAt(log: LogBytes, offset: number, segEnd: number, verifyCrc: boolean): boolean {
  const head = log.read(offset, 8);
  if (head.length < 8) return false;
  const size = recordSize(head, 0);
  if (size < FIXED_BYTES || offset + size > segEnd) return false;
  return isRecordAt(log.read(offset, size), 0, offset, verifyCrc);
}

/** The first valid record at or after `from` in the segment, or -1. */
export function resync(log: LogBytes, from: number, segEnd: number, verifyCrc: boolean): number {
  let p = from;
  while (segEnd - p >= FIXED_BYTES) {
    const chunk = log.read(p, Math.min(SCAN_CHUNK, segEnd - p));
    if (chunk.length < 8) return -1;
    // a candidate c has its magic at c+4; candidates c in [p, p + len - 8] are searched here
    for (let idx = chunk.indexOf(MAGIC, 4); idx >= 0 && idx <= chunk.length - 4; idx = chunk.indexOf(MAGIC, idx + 1)) {
      const c = p + idx - 4;
      const head = idx - 4 + 28 <= chunk.length ? chunk.subarray(idx - 4, idx + 24) : log.read(c, 28);
      if (head.length < 28 || recordPhysicalOffset(head, 0) !== c) continue;
      if (recordAt(log, c, segEnd, verifyCrc)) return c;
    }
    p += chunk.length - 7;
  }
  return -1;
}
