// A run of fixed-capacity files named by the 20-digit offset of their first
// byte (RocketMQ's MappedFileQueue, without the mmap). The commit log and
// every consume queue are one of these. Files grow as written instead of
// being preallocated, so a file's length is where its data ends.
//
// I/O is synchronous on purpose: appends and reads hit the page cache and
// take microseconds, and doing them inline keeps offset assignment and the
// write one atomic step on the event loop. Only fsync, the slow part, is
// asynchronous (see commit-log-flusher.ts).
import * as fs from "node:fs";
import * as path from "node:path";

export interface Segment {
  readonly base: number;
  readonly path: string;
  fd: number;
  /** Bytes of data in the file (its length). */
  size: number;
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

  private constructor(readonly dir: string, readonly capacity: number) {}

  /**
   * Opens every segment in `dir` (creating the directory). Throws on a
   * misaligned name, and on a gap when `contiguous` (the commit log: a
   * missing middle segment is lost data an operator must look at).
   */
  static open(dir: string, capacity: number, contiguous = true): SegmentFiles {
    fs.mkdirSync(dir, { recursive: true });
    const files = new SegmentFiles(dir, capacity);
    const names = fs.readdirSync(dir).filter((n) => NAME.test(n)).sort();
    for (const name of names) {
      const base = Number(name);
      const prev = files.segments.at(-1);
      if (base % capacity !== 0) throw new Error(`${dir}/${name}: not aligned to segment size ${capacity}`);
      if (contiguous && prev && prev.base + capacity !== base) throw new Error(`${dir}: segment missing before ${name}`);
      const p = path.join(dir, name);
      const fd = fs.openSync(p, "r+");
      files.segments.push({ base, path: p, fd, size: fs.fstatSync(fd).size });
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
      let done = 0;
      while (done < n) {
        done += fs.writeSync(seg.fd, buf, start + done, n - done, offset - seg.base + done);
      }
      seg.size = Math.max(seg.size, offset - seg.base + n);
      this.dirty.add(seg);
      offset += n;
      start += n;
    }
  }

  /** Reads up to `len` bytes at `offset`, within one segment, into `into[at]`. Returns the byte count. */
  readInto(offset: number, len: number, into: Uint8Array, at = 0): number {
    const seg = this.find(offset);
    if (!seg) return 0;
    const n = Math.min(len, seg.base + seg.size - offset);
    let done = 0;
    while (done < n) {
      const r = fs.readSync(seg.fd, into, at + done, n - done, offset - seg.base + done);
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
      fs.ftruncateSync(last.fd, offset - last.base);
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

  /** Segments written since the last call; the flusher fsyncs them. */
  takeDirty(): Segment[] {
    const out = [...this.dirty];
    this.dirty.clear();
    return out;
  }

  closeAll(): void {
    for (const seg of this.segments) fs.closeSync(seg.fd);
    this.segments.length = 0;
  }

  private create(base: number): Segment {
    const p = path.join(this.dir, segmentName(base));
    const fd = fs.openSync(p, "w+");
    const seg: Segment = { base, path: p, fd, size: 0 };
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
    fs.closeSync(seg.fd);
    fs.rmSync(seg.path, { force: true });
  }
}
