// A run of fixed-capacity files named by the 20-digit offset of their first
// byte (RocketMQ's MappedFileQueue, without the mmap). The commit log and
// every consume queue are one of these. Files grow as written instead of
// being preallocated, so a file's length is where its data ends.
//
// I/O is synchronous on purpose: appends and reads hit the page cache and
// take microseconds, and doing them inline keeps offset assignment and the
// write one atomic step on the event loop. Only fsync, the slow part, is
// asynchronous (see commit-log-flusher.ts).
//
// Files are opened lazily through the store's FdCache (fd-cache.ts): a
// segment holds an fd only while it is in use.
import * as fs from "node:fs";
import * as path from "node:path";
import type { FsyncFn } from "./commit-log-flusher.js";
import { FdCache, type CachedFile } from "./fd-cache.js";

export interface Segment extends CachedFile {
  readonly base: number;
  /** Bytes of data in the file (its length). */
  size: number;
  /** Deleted (truncation, retention): a queued fsync skips it. */
  removed: boolean;
}

const NAME = /^\d{20}$/;

export function segmentName(base: number): string {
  return String(base).padStart(20, "0");
}

export class SegmentFiles {
  readonly segments: Segment[] = [];
  /** Segments written since the last takeDirty(), by base. */
  private dirty = new Set<Segment>();
  /** min/max when there are no files (after truncating everything away). */
  private emptyAt = 0;

  private constructor(readonly dir: string, readonly capacity: number, private readonly fds: FdCache) {}

  /**
   * Opens every segment in `dir` (creating the directory). Throws on a
   * misaligned name, and on a gap when `contiguous` (the commit log: a
   * missing middle segment is lost data an operator must look at).
   */
  static open(dir: string, capacity: number, contiguous = true, fds = new FdCache()): SegmentFiles {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const files = new SegmentFiles(dir, capacity, fds);
    const names = fs.readdirSync(dir).filter((n) => NAME.test(n)).sort();
    for (const name of names) {
      const base = Number(name);
      const prev = files.segments.at(-1);
      if (base % capacity !== 0) throw new Error(`${dir}/${name}: not aligned to segment size ${capacity}`);
      if (contiguous && prev && prev.base + capacity !== base) throw new Error(`${dir}: segment missing before ${name}`);
      const p = path.join(dir, name);
      files.segments.push(newSegment(base, p, fs.statSync(p).size));
    }
    return files;
  }

  get minOffset(): number {
    return this.segments[0]?.base ?? this.emptyAt;
  }

  /** One past the last byte written. */
  get maxOffset(): number {
    const last = this.segments.at(-1);
    return last ? last.base + last.size : this.emptyAt;
  }

  /** The segment whose range [base, base + capacity) holds `offset`. */
  find(offset: number): Segment | undefined {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = segs[mid]!;
      if (offset < s.base) hi = mid - 1;
      else if (offset >= s.base + this.capacity) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** The first segment starting after `offset`'s segment. */
  next(seg: Segment): Segment | undefined {
    return this.find(seg.base + this.capacity);
  }

  /** Appends buf[start, end) at `offset` >= maxOffset, splitting at segment boundaries. */
  write(offset: number, buf: Uint8Array, start = 0, end = buf.byteLength): void {
    if (offset < this.maxOffset) throw new Error(`write at ${offset} below end ${this.maxOffset}`);
    while (start < end) {
      const seg = this.find(offset) ?? this.create(offset - (offset % this.capacity));
      const n = Math.min(end - start, seg.base + this.capacity - offset);
      const fd = this.fds.fd(seg);
      this.dirty.add(seg);
      let done = 0;
      while (done < n) {
        done += fs.writeSync(fd, buf, start + done, n - done, offset - seg.base + done);
        // kept exact after every write(2), so a failed append can be truncated away
        seg.size = Math.max(seg.size, offset - seg.base + done);
      }
      offset += n;
      start += n;
    }
  }

  /** Reads up to `len` bytes at `offset`, within one segment, into `into[at]`. Returns the byte count. */
  readInto(offset: number, len: number, into: Uint8Array, at = 0): number {
    const seg = this.find(offset);
    if (!seg) return 0;
    const n = Math.min(len, seg.base + seg.size - offset);
    const fd = this.fds.fd(seg);
    let done = 0;
    while (done < n) {
      const r = fs.readSync(fd, into, at + done, n - done, offset - seg.base + done);
      if (r === 0) break;
      done += r;
    }
    return done;
  }

  /** Drops every byte from `offset` on; a segment starting exactly there is kept, empty. */
  truncateTo(offset: number): void {
    while (this.segments.length > 0 && this.segments.at(-1)!.base > offset) this.removeLast();
    const last = this.segments.at(-1);
    if (last && offset < last.base + last.size) {
      fs.ftruncateSync(this.fds.fd(last), offset - last.base);
      last.size = offset - last.base;
      this.dirty.add(last);
    }
    if (this.segments.length === 0) this.emptyAt = offset;
  }

  /** Deletes the oldest segment. */
  removeFirst(): void {
    const seg = this.segments.shift();
    if (!seg) return;
    this.close(seg);
    if (this.segments.length === 0) this.emptyAt = seg.base + seg.size;
  }

  markDirty(): void {
    const last = this.segments.at(-1);
    if (last) this.dirty.add(last);
  }

  /**
   * fsyncs every segment written since the last call, reopening one whose
   * fd was evicted. On failure the segments not yet synced stay dirty for
   * the next flush, and the error is thrown.
   */
  async fsyncDirty(fsync: FsyncFn): Promise<void> {
    if (this.dirty.size === 0) return;
    const todo = [...this.dirty];
    this.dirty.clear();
    for (let i = 0; i < todo.length; i++) {
      const seg = todo[i]!;
      if (seg.removed) continue;
      try {
        const fd = this.fds.pin(seg);
        try {
          await fsync(fd);
        } finally {
          this.fds.unpin(seg);
        }
      } catch (err) {
        // deleted (truncateTo, retention) while its fsync was queued
        if (seg.removed) continue;
        for (const rest of todo.slice(i)) if (!rest.removed) this.dirty.add(rest);
        throw err;
      }
    }
  }

  /** Closes every fd (the files stay). */
  closeAll(): void {
    for (const seg of this.segments) this.fds.close(seg);
    this.segments.length = 0;
  }

  private create(base: number): Segment {
    const seg = newSegment(base, path.join(this.dir, segmentName(base)), 0);
    this.fds.create(seg);
    const at = this.segments.findIndex((s) => s.base > base);
    if (at < 0) this.segments.push(seg);
    else this.segments.splice(at, 0, seg);
    return seg;
  }

  private removeLast(): void {
    const seg = this.segments.pop();
    if (seg) this.close(seg);
  }

  private close(seg: Segment): void {
    this.dirty.delete(seg);
    seg.removed = true;
    this.fds.close(seg);
    fs.rmSync(seg.path, { force: true });
  }
}

function newSegment(base: number, p: string, size: number): Segment {
  return { base, path: p, fd: -1, used: false, pins: 0, slot: -1, size, removed: false };
}
