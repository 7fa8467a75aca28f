// One consume queue per (topic, queueId) in <dir>/consumequeue/<topic>/<queueId>/:
// fixed 20-byte entries, so logical offset n sits at byte n * 20 (RocketMQ's
// ConsumeQueue). Entry layout, big-endian:
//   0  commitLogOffset u64
//   8  size            u32  record size in the commit log
//  12  tagHash         u64  tag-hash.ts (FNV-1a 64); 0 for no tag
// An all-zero entry (size 0) is a hole: the front of a queue rebuilt after
// retention, or an entry whose record is gone. A read inside [min, max)
// that meets one reports it (get-messages.ts). Non-last files are always
// full (gaps are written as holes), so a short or missing one is damage.
//
// New entries wait in an in-memory tail (queue-tail.ts) and reach the file
// when it fills, at the store's flush (fsyncDirty), when the queue
// manifest is written, and on close: one write per queue per flush rather
// than one per batch. Reads serve the tail; kill -9 loses it, and recovery
// replays those records from the checkpoint's `dispatched` offset, which
// only a flush that wrote and fsynced the tails moves.
import * as path from "node:path";
import type { FsyncFn } from "./commit-log-flusher.js";
import type { FdCache } from "./fd-cache.js";
import { SegmentFiles, type Segment } from "./segment-files.js";
import { readU64 } from "./record.js";
import { QueueTail } from "./queue-tail.js";
import { VisibleRuns } from "./visible-runs.js";

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
  /** How far readers may see (records that end at or below the store's commit offset): visibility.ts moves it. */
  readonly vis = new VisibleRuns();
  /** Entries past the files' end, not yet written. */
  private readonly tail = new QueueTail();

  private constructor(readonly topic: string, readonly queueId: number, private readonly files: SegmentFiles) {}

  /** `fds`: the store's shared set of open files (fd-cache.ts); files open only while used. */
  static open(root: string, topic: string, queueId: number, entriesPerFile = CQ_ENTRIES_PER_FILE, fds?: FdCache): ConsumeQueue {
    const dir = path.join(root, topic, String(queueId));
    const cq = new ConsumeQueue(topic, queueId, SegmentFiles.open(dir, entriesPerFile * CQ_ENTRY_BYTES, false, fds));
    const max = cq.files.maxOffset;
    if (max % CQ_ENTRY_BYTES !== 0) cq.files.truncateTo(max - (max % CQ_ENTRY_BYTES)); // torn entry
    cq.min = cq.firstValid(cq.files.minOffset / CQ_ENTRY_BYTES, 0);
    cq.vis.all(cq.max);
    return cq;
  }

  /** What readers may see: [min, visibleMax). */
  get visibleMax(): number {
    return Math.max(this.min, Math.min(this.vis.visible, this.max));
  }

  /** One past the last entry. */
  get max(): number {
    return this.tail.count > 0 ? this.tail.end : this.files.maxOffset / CQ_ENTRY_BYTES;
  }

  /** One past the last entry in the files (the manifest claims no more). */
  get writtenMax(): number {
    return this.files.maxOffset / CQ_ENTRY_BYTES;
  }

  /** Entries waiting in memory. */
  get unwritten(): number {
    return this.tail.count;
  }
  get hasFiles(): boolean {
    return this.files.segments.length > 0;
  }
  get segments(): readonly Segment[] {
    return this.files.segments;
  }

  /** Appends `count` entries from `buf` as logical offsets from `logical` (>= max; a gap becomes holes). */
  append(logical: number, buf: Buffer, count: number): void {
    const max = this.max;
    if (this.min === max) this.min = logical;
    else if (logical > max) this.reserveTo(logical); // a rebuild, or a master's kept offsets
    // the tail holds consecutive entries only: before a jump (into an empty queue) it goes to the file
    if (logical !== max && this.tail.count > 0) this.writeTail();
    const t = this.tail;
    if (!t.fits(count)) this.writeTail(); // full: one write for all it holds
    if (!t.fits(count)) {
      this.files.write(logical * CQ_ENTRY_BYTES, buf, 0, count * CQ_ENTRY_BYTES); // larger than a tail: written as it is
    } else {
      if (t.count === 0) t.from = logical;
      t.push(buf, count);
    }
    this.vis.appended(max, logical + count, entryOffset(buf, count - 1) + entrySize(buf, count - 1));
  }

  /**
   * Writes the entries waiting in memory to the file. On an I/O error the
   * ones that reached it leave the tail, the rest stay, and it throws.
   * Returns max.
   */
  writeTail(): number {
    const t = this.tail;
    if (t.count === 0) return this.max;
    try {
      this.files.write(t.from * CQ_ENTRY_BYTES, t.buf, 0, t.count * CQ_ENTRY_BYTES);
      t.clear();
    } catch (err) {
      const end = this.files.maxOffset;
      const whole = end - (end % CQ_ENTRY_BYTES);
      if (whole !== end) this.files.truncateTo(whole); // a torn entry: the next write starts on a boundary
      t.dropFront(whole / CQ_ENTRY_BYTES - t.from);
      throw err;
    }
    return this.max;
  }

  /** What kill -9 does to the tail (tests, simulateCrash): it is gone; recovery rebuilds it from the commit log. */
  discardTail(): void {
    this.tail.clear();
  }

  /**
   * Writes holes from max up to `logical`: those offsets are not handed out
   * (again), and every file but the last stays full.
   */
  reserveTo(logical: number): void {
    this.writeTail();
    this.vis.forget();
    const zeros = Buffer.alloc(Math.min(logical - this.max, 4096) * CQ_ENTRY_BYTES);
    while (this.max < logical) {
      const n = Math.min(logical - this.max, zeros.length / CQ_ENTRY_BYTES);
      this.files.write(this.max * CQ_ENTRY_BYTES, zeros, 0, n * CQ_ENTRY_BYTES);
    }
  }

  /** The entry at `logical` as [commitLogOffset, size], or undefined outside the files. */
  entry(logical: number): [number, number] | undefined {
    if (logical < 0 || logical >= this.max) return undefined;
    const e = this.read(logical, 1);
    return e.length === 0 ? undefined : [entryOffset(e, 0), entrySize(e, 0)];
  }

  /** False when a file other than the last is missing or shorter than a full file (cut, deleted). */
  filesIntact(): boolean {
    const segs = this.files.segments;
    for (let i = 0; i + 1 < segs.length; i++) {
      if (segs[i]!.size !== this.files.capacity || segs[i + 1]!.base !== segs[i]!.base + this.files.capacity) return false;
    }
    return true;
  }

  /** Entries that are not holes in [min, max). Reads the whole queue: for reports on rebuilt queues only. */
  countEntries(): number {
    let n = 0;
    for (let at = this.min; at < this.max; at += 4096) {
      const buf = this.read(at, 4096);
      for (let i = 0; i < buf.length / CQ_ENTRY_BYTES; i++) if (entrySize(buf, i) !== 0) n++;
    }
    return n;
  }

  /** Drops every file, leaving the queue empty at `at`: it is rebuilt from the commit log into fresh files. */
  reset(at = 0): void {
    this.tail.clear();
    this.files.truncateTo(0);
    this.files.removeFirst(); // an empty file at 0 would be a short one before the rebuilt files
    this.files.truncateTo(at * CQ_ENTRY_BYTES);
    this.min = at;
    this.vis.forget(at);
  }

  /** Entries [from, from + count) clamped to what exists, in one buffer (the files' part by pread, the rest from the tail). */
  read(from: number, count: number): Buffer {
    const n = Math.max(0, Math.min(count, this.max - from));
    const buf = Buffer.allocUnsafe(n * CQ_ENTRY_BYTES);
    const inFiles = Math.max(0, Math.min(n, this.writtenMax - from)) * CQ_ENTRY_BYTES;
    let done = 0;
    while (done < inFiles) {
      const r = this.files.readInto(from * CQ_ENTRY_BYTES + done, inFiles - done, buf, done);
      if (r === 0) break;
      done += r;
    }
    if (done < inFiles) return buf.subarray(0, done - (done % CQ_ENTRY_BYTES));
    if (inFiles < buf.length) this.tail.copyOut(from + inFiles / CQ_ENTRY_BYTES, from + n, buf, inFiles);
    return buf;
  }

  /** Commit-log offset just past the last entry's record, or -1 when empty. */
  lastPhysicalEnd(): number {
    if (this.max === this.min) return -1;
    const e = this.read(this.max - 1, 1);
    return e.length === 0 ? -1 : entryOffset(e, 0) + entrySize(e, 0);
  }

  /** Drops every entry pointing at or past `clOffset` (the commit log was truncated there). */
  truncatePhysical(clOffset: number): void {
    this.truncateLogical(this.cutFor(clOffset));
  }

  /** Where truncatePhysical(clOffset) would cut: the first entry pointing at or past it. */
  cutFor(clOffset: number): number {
    return this.firstAtOrAfter(this.min, clOffset);
  }

  truncateLogical(logical: number): void {
    if (logical >= this.max) return;
    const t = this.tail;
    if (t.count > 0 && logical > t.from) {
      t.count = logical - t.from; // the cut is inside the tail: the files keep what they hold
    } else {
      // a cut between the files' end and a tail that starts past it leaves the queue ending at the cut
      if (logical > this.writtenMax) this.writeTail();
      t.clear();
      this.files.truncateTo(logical * CQ_ENTRY_BYTES);
    }
    if (this.min > logical) this.min = logical;
    this.vis.forget(logical);
  }

  /**
   * First entry in [from, max) that is not a hole and whose record ends past
   * `clOffset`; max if none. Entries at or after it are not yet committed.
   */
  firstEndingAfter(from: number, clOffset: number, to = this.max): number {
    return this.search(from, (offset, size) => offset + size > clOffset, to);
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
    return this.firstAtOrAfter(from, clMin);
  }

  /**
   * First entry in [from, max) that is not a hole and points at or after
   * `clOffset`; max if none. Entries that are not holes point at rising
   * offsets, but holes may sit anywhere, so a probe that meets one looks
   * on to the next entry.
   */
  private firstAtOrAfter(from: number, clOffset: number): number {
    return this.search(from, (offset) => offset >= clOffset);
  }

  /** First entry in [from, max) that is not a hole and meets `past` (false for a prefix of the entries, true after); max if none. */
  private search(from: number, past: (offset: number, size: number) => boolean, to = this.max): number {
    let lo = from;
    let hi = to;
    let best = to;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const j = this.nextEntry(mid, hi);
      if (j === undefined) hi = mid;
      else if (past(j[1], j[2])) [best, hi] = [j[0], mid];
      else lo = j[0] + 1;
    }
    return best;
  }

  /** The first entry in [from, to) that is not a hole, as [logical, commitLogOffset, size]; undefined if all are holes. */
  private nextEntry(from: number, to: number): [number, number, number] | undefined {
    const perFile = this.files.capacity / CQ_ENTRY_BYTES;
    let at = from;
    while (at < to) {
      const buf = this.read(at, Math.min(256, to - at));
      const n = buf.length / CQ_ENTRY_BYTES;
      for (let i = 0; i < n; i++) if (entrySize(buf, i) !== 0) return [at + i, entryOffset(buf, i), entrySize(buf, i)];
      at = n > 0 ? at + n : (Math.floor(at / perFile) + 1) * perFile; // the rest of this file is missing
    }
    return undefined;
  }

  /** The store's flush: the tail goes to the file, then the file is fsynced. */
  fsyncDirty(fsync: FsyncFn): Promise<void> {
    this.writeTail();
    return this.files.fsyncDirty(fsync);
  }

  close(): void {
    try {
      this.writeTail();
    } catch {
      // derived data: without a clean close's checkpoint the next open replays it from the commit log
    }
    this.files.closeAll();
  }
}
