// One consume queue per (topic, queueId) in <dir>/consumequeue/<topic>/<queueId>/:
// fixed 20-byte entries, so logical offset n sits at byte n * 20 (RocketMQ's
// ConsumeQueue). Entry layout, big-endian:
//   0  commitLogOffset u64
//   8  size            u32  record size in the commit log
//  12  tagHash         u64  tag-hash.ts (FNV-1a 64); 0 for no tag
// An all-zero entry (size 0) is a hole: the front of a queue rebuilt after
// retention, or entries lost in a crash. Readers skip holes.
import * as path from "node:path";
import type { FsyncFn } from "./commit-log-flusher.js";
import type { FdCache } from "./fd-cache.js";
import { SegmentFiles, type Segment } from "./segment-files.js";
import { readU64 } from "./record.js";

export const CQ_ENTRY_BYTES = 20;
/** RocketMQ's mappedFileSizeConsumeQueue: 300,000 entries (6 MB) per file. */
export const CQ_ENTRIES_PER_FILE = 300_000;

export function entryOffset(buf: Buffer, i: number): number {
  return readU64(buf, i * CQ_ENTRY_BYTES);
}
export function entrySize(buf: Buffer, i: number): number {
  return buf.readUInt32BE(i * CQ_ENTRY_BYTES + 8);
}
export function entryTagHash(buf: Buffer, i: number): bigint {
  return buf.readBigUInt64BE(i * CQ_ENTRY_BYTES + 12);
}

export class ConsumeQueue {
  /** First logical offset that still points into the commit log. */
  min = 0;

  private constructor(readonly topic: string, readonly queueId: number, private readonly files: SegmentFiles) {}

  /** `fds`: the store's shared set of open files (fd-cache.ts); files open only while used. */
  static open(root: string, topic: string, queueId: number, entriesPerFile = CQ_ENTRIES_PER_FILE, fds?: FdCache): ConsumeQueue {
    const dir = path.join(root, topic, String(queueId));
    const cq = new ConsumeQueue(topic, queueId, SegmentFiles.open(dir, entriesPerFile * CQ_ENTRY_BYTES, false, fds));
    const max = cq.files.maxOffset;
    if (max % CQ_ENTRY_BYTES !== 0) cq.files.truncateTo(max - (max % CQ_ENTRY_BYTES)); // torn entry
    cq.min = cq.firstValid(cq.files.minOffset / CQ_ENTRY_BYTES, 0);
    return cq;
  }

  /** One past the last entry. */
  get max(): number {
    return this.files.maxOffset / CQ_ENTRY_BYTES;
  }
  get hasFiles(): boolean {
    return this.files.segments.length > 0;
  }
  get segments(): readonly Segment[] {
    return this.files.segments;
  }

  /** Appends `count` entries from `buf` as logical offsets from `logical` (>= max; a gap stays a hole). */
  append(logical: number, buf: Buffer, count: number): void {
    if (this.min === this.max) this.min = logical;
    this.files.write(logical * CQ_ENTRY_BYTES, buf, 0, count * CQ_ENTRY_BYTES);
  }

  /** Entries [from, from + count) clamped to what exists, in one buffer. */
  read(from: number, count: number): Buffer {
    const n = Math.max(0, Math.min(count, this.max - from));
    const buf = Buffer.allocUnsafe(n * CQ_ENTRY_BYTES);
    let done = 0;
    while (done < buf.length) {
      const r = this.files.readInto(from * CQ_ENTRY_BYTES + done, buf.length - done, buf, done);
      if (r === 0) break;
      done += r;
    }
    return done === buf.length ? buf : buf.subarray(0, done - (done % CQ_ENTRY_BYTES));
  }

  /** Commit-log offset just past the last entry's record, or -1 when empty. */
  lastPhysicalEnd(): number {
    if (this.max === this.min) return -1;
    const e = this.read(this.max - 1, 1);
    return e.length === 0 ? -1 : entryOffset(e, 0) + entrySize(e, 0);
  }

  /** Drops every entry pointing at or past `clOffset` (the commit log was truncated there). */
  truncatePhysical(clOffset: number): void {
    let lo = this.min;
    let hi = this.max;
    // first entry whose record starts at or after clOffset; holes (offset 0) sort first
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const e = this.read(mid, 1);
      if (entrySize(e, 0) === 0 || entryOffset(e, 0) < clOffset) lo = mid + 1;
      else hi = mid;
    }
    this.truncateLogical(lo);
  }

  truncateLogical(logical: number): void {
    if (logical >= this.max) return;
    this.files.truncateTo(logical * CQ_ENTRY_BYTES);
    if (this.min > logical) this.min = logical;
  }

  /**
   * After the commit log lost its head (retention): deletes files whose
   * entries all point below `clMin` (never the last one) and moves min up.
   */
  correctMin(clMin: number): void {
    while (this.files.segments.length > 1) {
      const second = this.files.segments[1]!;
      const e = this.read(second.base / CQ_ENTRY_BYTES, 1);
      if (e.length === 0 || entrySize(e, 0) === 0 || entryOffset(e, 0) > clMin) break;
      this.files.removeFirst();
    }
    this.min = this.firstValid(Math.max(this.min, this.files.minOffset / CQ_ENTRY_BYTES), clMin);
  }

  /** First logical offset >= from whose entry is not a hole and points at or after clMin. */
  private firstValid(from: number, clMin: number): number {
    let lo = from;
    let hi = this.max;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const e = this.read(mid, 1);
      if (entrySize(e, 0) === 0 || entryOffset(e, 0) < clMin) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  fsyncDirty(fsync: FsyncFn): Promise<void> {
    return this.files.fsyncDirty(fsync);
  }

  close(): void {
    this.files.closeAll();
  }
}
