// The commit log: every topic's records appended to one run of segment files
// in <dir>/commitlog/, named by base offset (RocketMQ's CommitLog). A record
// never straddles two segments: one that does not fit in what is left of the
// current segment starts the next, and the tail of the old one stays unused.
// Because the placement rule is a pure function of (position, size, segment
// size), a slave replaying the master's bytes puts every record at the same
// offset, which each record carries in its own header.
import * as path from "node:path";
import type { FsyncFn } from "./commit-log-flusher.js";
import { crc32Range } from "./crc32.js";
import type { FdCache } from "./fd-cache.js";
import { SegmentFiles, type Segment } from "./segment-files.js";
import { checkRecord, decodeRecord, recordPhysicalOffset, recordSize, FIXED_BYTES } from "./record.js";
import { RecordStatus } from "./status.js";
import type { StoredMessage } from "./types.js";

/** Where a record of `size` bytes goes when the log ends at `pos`. */
export function placeRecord(pos: number, size: number, segmentBytes: number): number {
  const used = pos % segmentBytes;
  return used + size > segmentBytes ? pos - used + segmentBytes : pos;
}

const SCAN_CHUNK = 4 << 20;

/** What readRaw read: `offset` is where the bytes start (the next segment's base at a full segment's end). */
export interface RawRead {
  bytes: Buffer;
  offset: number;
  /** The first record there fails its checks: `bytes` is that record alone (its claimed size, as far as it reads). */
  corrupt?: { offset: number; size: number };
}

/** A record's CRC covers it from this byte on. */
const CRC_FROM = 12;

function recordIsAt(buf: Buffer, at: number, end: number, offset: number, verifyCrc: boolean): boolean {
  // the CRC by crc32Range: no subarray and native call per record (a chunk for a slave holds thousands)
  if (checkRecord(buf, at, end, false) !== RecordStatus.OK || recordPhysicalOffset(buf, at) !== offset) return false;
  return !verifyCrc || crc32Range(buf, at + CRC_FROM, at + recordSize(buf, at)) === buf.readUInt32BE(at + 8);
}

export class CommitLog {
  private constructor(readonly files: SegmentFiles, readonly segmentBytes: number) {}

  /** `fds`: the store's shared set of open files (fd-cache.ts). */
  static open(dir: string, segmentBytes: number, fds?: FdCache): CommitLog {
    return new CommitLog(SegmentFiles.open(path.join(dir, "commitlog"), segmentBytes, true, fds), segmentBytes);
  }

  get minOffset(): number {
    return this.files.minOffset;
  }
  /** The write position: one past the last record's last byte. */
  get maxOffset(): number {
    return this.files.maxOffset;
  }
  get segments(): readonly Segment[] {
    return this.files.segments;
  }

  /** Fills `positions` with where each record would go if appended now, in order; returns the new end. */
  layout(sizes: ArrayLike<number>, count: number, positions: number[]): number {
    let pos = this.maxOffset;
    for (let i = 0; i < count; i++) {
      const size = sizes[i]!;
      pos = placeRecord(pos, size, this.segmentBytes);
      positions[i] = pos;
      pos += size;
    }
    return pos;
  }

  /**
   * Appends records already encoded back to back in `buf` at `positions`
   * (from layout). One write per run of contiguous positions: one, or two
   * when the batch rolls to a new segment.
   */
  writeRecords(buf: Buffer, positions: readonly number[], sizes: ArrayLike<number>, count: number): void {
    let runStart = 0;
    let bufAt = 0;
    let bufRun = 0;
    for (let i = 0; i < count; i++) {
      const size = sizes[i]!;
      const next = i + 1 < count ? positions[i + 1]! : -1;
      if (next !== positions[i]! + size) {
        this.files.write(positions[runStart]!, buf, bufRun, bufAt + size);
        runStart = i + 1;
        bufRun = bufAt + size;
      }
      bufAt += size;
    }
  }

  /** read() into `buf` (at least `len` long), for a reader that reuses one buffer rather than allocating a read's worth each time. */
  readInto(offset: number, len: number, buf: Buffer): Buffer {
    return buf.subarray(0, this.files.readInto(offset, len, buf));
  }

  /** Raw bytes [offset, offset + len) from one segment; shorter if the segment's data ends first. */
  read(offset: number, len: number): Buffer {
    const buf = Buffer.allocUnsafe(len);
    const n = this.files.readInto(offset, len, buf);
    return n === len ? buf : buf.subarray(0, n);
  }

  /** The record at `offset`, or undefined if none is there or it fails its checks. */
  readRecord(offset: number): StoredMessage | undefined {
    if (offset < this.minOffset || offset >= this.maxOffset) return undefined;
    const head = this.read(offset, 512);
    if (head.length < 8) return undefined;
    const size = recordSize(head, 0);
    if (size > this.segmentBytes) return undefined; // a damaged length: do not allocate it
    const buf = size <= head.length ? head : this.read(offset, size);
    if (checkRecord(buf, 0, buf.length) !== RecordStatus.OK) return undefined;
    if (recordPhysicalOffset(buf, 0) !== offset) return undefined;
    return decodeRecord(buf, 0);
  }

  /**
   * Whole records from `offset` (a record boundary), at most `maxBytes` but
   * always at least one, from a single segment; empty at the end of the log.
   * An offset at the end of a full segment continues in the next one. Stops
   * before a record that fails its checks (CRC, own offset); when the first
   * record fails them it comes back alone, named in `corrupt`, so that a
   * caller can tell it apart from good bytes. Records that end at or below
   * `checkedTo` skip the CRC (an earlier read checked them): their sizes,
   * fields and own offsets are still checked.
   */
  readRaw(offset: number, maxBytes: number, verifyCrc = true, checkedTo = 0): RawRead {
    let seg = this.files.find(offset);
    if (seg && offset >= seg.base + seg.size) {
      seg = this.files.next(seg);
      offset = seg?.base ?? offset;
    }
    if (!seg) return { bytes: Buffer.alloc(0), offset };
    const buf = this.read(offset, Math.min(Math.max(maxBytes, FIXED_BYTES), seg.base + seg.size - offset));
    let end = 0;
    while (end + 8 <= buf.length) {
      const size = recordSize(buf, end);
      if (end + size > buf.length) break;
      if (!recordIsAt(buf, end, end + size, offset + end, verifyCrc && offset + end + size > checkedTo)) {
        if (end === 0) return { bytes: buf.subarray(0, size), offset, corrupt: { offset, size } };
        break;
      }
      end += size;
    }
    if (end > 0) return { bytes: buf.subarray(0, end), offset };
    const size = buf.length >= 8 ? recordSize(buf, 0) : 0;
    if (size < FIXED_BYTES || size > this.segmentBytes) return { bytes: buf, offset, corrupt: { offset, size: buf.length } };
    const whole = this.read(offset, size);
    const ok = recordIsAt(whole, 0, whole.length, offset, verifyCrc) && whole.length === size;
    return ok ? { bytes: whole, offset } : { bytes: whole, offset, corrupt: { offset, size: whole.length } };
  }

  /**
   * Visits records from `from` (a record boundary) to the end, checking CRC
   * and each record's own offset. Returns the offset just past the last
   * good record: anything after it is a torn or corrupt tail.
   */
  scan(from: number, visit: (buf: Buffer, at: number, offset: number) => void, verifyCrc = true): number {
    let pos = from;
    let seg = this.files.find(pos);
    while (seg) {
      const segEnd = seg.base + seg.size;
      while (pos < segEnd) {
        const chunk = this.read(pos, Math.min(SCAN_CHUNK, segEnd - pos));
        if (chunk.length === 0) return pos;
        let at = 0;
        while (at < chunk.length) {
          const status = checkRecord(chunk, at, chunk.length, verifyCrc);
          if (status === RecordStatus.OK && recordPhysicalOffset(chunk, at) === pos + at) {
            visit(chunk, at, pos + at);
            at += recordSize(chunk, at);
            continue;
          }
          // a record cut by the chunk (not by the file) is read again in the next chunk
          const cutByChunk = status === RecordStatus.TRUNCATED && pos + chunk.length < segEnd;
          if (cutByChunk && at > 0) break;
          if (cutByChunk && chunk.length >= 8 && recordSize(chunk, 0) <= this.segmentBytes) {
            const whole = this.read(pos, recordSize(chunk, 0));
            if (checkRecord(whole, 0, whole.length, verifyCrc) === RecordStatus.OK && recordPhysicalOffset(whole, 0) === pos) {
              visit(whole, 0, pos);
              at = whole.length;
              break;
            }
          }
          return pos + at;
        }
        pos += at;
      }
      seg = this.files.next(seg);
      if (seg) pos = seg.base;
    }
    return pos;
  }

  truncateTo(offset: number): void {
    this.files.truncateTo(offset);
  }

  removeFirstSegment(): void {
    this.files.removeFirst();
  }

  /** Makes the next flush fsync the last segment even if nothing was written since open. */
  markTailDirty(): void {
    this.files.markDirty();
  }

  /** fsyncs the segments written since the last call (segment-files.ts). */
  fsyncDirty(fsync: FsyncFn): Promise<void> {
    return this.files.fsyncDirty(fsync);
  }

  close(): void {
    this.files.closeAll();
  }
}
