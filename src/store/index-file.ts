// One key-index file (layout in index-file-layout.ts). The active file
// takes entries into a bounded buffer in memory, written when it fills or
// at flush() (with the commit log's flush), never per put; its slot table
// is kept in memory and rebuilt from the entries on open. A full file is
// sealed: its slots and their page CRCs are written and it is read a page
// at a time from then on. A lookup walks one slot's chain newest first,
// from the unwritten buffer down to the disk.
import * as fs from "node:fs";
import { crc32 } from "node:zlib";
import {
  decodeHeader, encodeHeader, ENTRY_BYTES, entriesAt, entryHash, entryOffset, entryPrev, HEADER_AT, HEADER_BYTES, PAGE_CRCS_AT, PAGE_SLOTS,
  pagesOf, SEALED, slotsAt, writeEntry, type Header,
} from "./index-file-layout.js";

/** Entries buffered before a write: 80 KiB. */
const PENDING = 4096;
/** Entries read per chunk when an active file is opened. */
const READ_CHUNK = 1 << 16;
const MODE = 0o600;

export type WalkResult = "done" | "stopped" | "damaged";

export class IndexFile {
  sealed: boolean;
  /** Opened from the older header copy: the newer one was not borne out by the entries (a write cut short). */
  tornHeader = false;
  /** Entries in the file, written or not. */
  count: number;
  private written: number;
  private crc: number;
  private seq: number;
  private fd: number | undefined;
  /** The active file's slots (u32 BE each), authoritative while it is active. */
  private slotBuf: Buffer | undefined;
  private pending: Buffer | undefined;
  private pageCrcs: Buffer | undefined;
  private readonly scratch = Buffer.allocUnsafe(ENTRY_BYTES);
  private readonly entries: number;

  private constructor(readonly path: string, private h: Header, fd: number | undefined) {
    this.sealed = (h.flags & SEALED) !== 0;
    this.count = this.written = h.count;
    this.crc = h.entriesCrc;
    this.seq = h.seq;
    this.fd = fd;
    this.entries = entriesAt(h.slots);
  }

  get first(): number {
    return this.h.first;
  }
  /** Every keyed record below it is in this file or an older one. */
  get covers(): number {
    return this.h.covers;
  }
  get capacity(): number {
    return this.h.capacity;
  }
  get beginTime(): number {
    return this.h.beginTime;
  }

  static create(path: string, first: number, slots: number, capacity: number, now: number): IndexFile {
    const fd = fs.openSync(path, "w+", MODE);
    const f = new IndexFile(path, { flags: 0, slots, capacity, first, covers: first, count: 0, entriesCrc: 0, beginTime: now, seq: 0, pagesCrc: 0 }, fd);
    f.activate(Buffer.alloc(slots * 4));
    f.writeHeader();
    return f;
  }

  /** Opens a file, trusting the newest header copy that its content bears out; a reason when none does. */
  static open(path: string): IndexFile | string {
    const fd = fs.openSync(path, "r+");
    try {
      const size = fs.fstatSync(fd).size;
      const heads = HEADER_AT.map((at) => decodeHeader(readAt(fd, at, HEADER_BYTES))).filter((h): h is Header => h !== undefined);
      heads.sort((a, b) => b.seq - a.seq);
      for (const [i, h] of heads.entries()) {
        const f = new IndexFile(path, h, fd);
        if (f.sealed ? f.loadPageCrcs(size) : f.rebuildSlots(size)) {
          if (f.sealed) f.closeFd();
          f.tornHeader = i > 0;
          return f;
        }
      }
      fs.closeSync(fd);
      return heads.length === 0 ? "no intact header" : "entries or slots do not match their checksum";
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** False when the file is full. */
  append(hash: number, offset: number, time: number): boolean {
    if (this.count >= this.h.capacity) return false;
    // written before the entry is taken: a failed write (a full disk) leaves the file as it was
    if (this.count - this.written >= PENDING) this.writePending();
    const slots = this.slotBuf!;
    const s = (hash % this.h.slots) * 4;
    const n = ++this.count;
    writeEntry(this.pending!, (n - this.written - 1) * ENTRY_BYTES, hash, offset, time, slots.readUInt32BE(s));
    slots.writeUInt32BE(n, s);
    return true;
  }

  /** Writes the buffered entries, then a header saying the file is complete below `covers`. */
  flush(covers: number): void {
    this.writePending();
    if (covers === this.h.covers && this.h.count === this.written) return;
    this.h.covers = covers;
    this.writeHeader();
  }

  /** Writes slots and page CRCs, then the sealed header; the file is read from disk from then on. */
  seal(covers: number): void {
    this.writePending();
    const slots = this.slotBuf!;
    const crcs = Buffer.alloc(pagesOf(this.h.slots) * 4);
    for (let p = 0; p * PAGE_SLOTS < this.h.slots; p++) crcs.writeUInt32BE(crc32(slots.subarray(p * PAGE_SLOTS * 4, (p + 1) * PAGE_SLOTS * 4)), p * 4);
    fs.writeSync(this.fd!, slots, 0, slots.length, slotsAt(this.h.slots));
    fs.writeSync(this.fd!, crcs, 0, crcs.length, PAGE_CRCS_AT);
    fs.fdatasyncSync(this.fd!);
    Object.assign(this.h, { flags: SEALED, covers, pagesCrc: crc32(crcs) });
    this.writeHeader();
    fs.fdatasyncSync(this.fd!);
    this.sealed = true;
    this.pageCrcs = crcs;
    this.slotBuf = this.pending = undefined;
    this.closeFd();
  }

  /** Makes a sealed file active again (a cut below its end); false when its slots fail their checks. */
  unseal(): boolean {
    const fd = fs.openSync(this.path, "r+");
    const slots = readAt(fd, slotsAt(this.h.slots), this.h.slots * 4);
    for (let p = 0; p * PAGE_SLOTS < this.h.slots; p++) {
      if (crc32(slots.subarray(p * PAGE_SLOTS * 4, (p + 1) * PAGE_SLOTS * 4)) !== this.pageCrcs!.readUInt32BE(p * 4)) {
        fs.closeSync(fd);
        return false;
      }
    }
    this.fd = fd;
    this.sealed = false;
    this.h.flags = 0;
    this.activate(slots);
    return true;
  }

  /**
   * Drops every entry at or after log offset `offset` (they are in log
   * order: a suffix) by pointing their slots back at what each replaced,
   * and writes a header saying the file is complete below `offset`. The
   * caller vouches that every keyed record below it was added.
   */
  cutFrom(offset: number): void {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (entryOffset(this.entry(mid), 0) < offset) lo = mid;
      else hi = mid - 1;
    }
    const slots = this.slotBuf!;
    for (let i = this.count; i > lo; i--) {
      const e = this.entry(i);
      slots.writeUInt32BE(entryPrev(e, 0), (entryHash(e, 0) % this.h.slots) * 4);
    }
    if (lo < this.written) {
      this.written = lo;
      this.crc = 0;
      for (let i = 0; i < lo; i += READ_CHUNK) this.crc = crc32(readAt(this.fd!, this.entries + i * ENTRY_BYTES, Math.min(READ_CHUNK, lo - i) * ENTRY_BYTES), this.crc);
    }
    this.count = lo;
    this.writePending();
    this.h.covers = Math.max(offset, this.h.first);
    this.writeHeader();
  }

  /** Calls `visit` with the log offset of each entry of `hash`, newest first, until it returns false. */
  walk(hash: number, visit: (offset: number) => boolean): WalkResult {
    const at = (hash % this.h.slots) * 4;
    let fd = this.fd;
    let i: number;
    if (this.sealed) {
      fd = fs.openSync(this.path, "r");
      const p = Math.floor(at / (PAGE_SLOTS * 4));
      const page = readAt(fd, slotsAt(this.h.slots) + p * PAGE_SLOTS * 4, Math.min(PAGE_SLOTS, this.h.slots - p * PAGE_SLOTS) * 4);
      if (crc32(page) !== this.pageCrcs!.readUInt32BE(p * 4)) return close(fd, "damaged");
      i = page.readUInt32BE(at - p * PAGE_SLOTS * 4);
    } else i = this.slotBuf!.readUInt32BE(at);
    try {
      if (i > this.count) return "damaged";
      while (i > 0) {
        const e = this.readEntry(i, fd);
        if (!e) return "damaged";
        if (entryHash(e, 0) === hash && !visit(entryOffset(e, 0))) return "stopped";
        const prev = entryPrev(e, 0);
        if (prev >= i) return "damaged"; // chains only go back: a loop or a wild pointer is damage
        i = prev;
      }
      return "done";
    } finally {
      if (this.sealed) fs.closeSync(fd!);
    }
  }

  /** Written and fsynced (a clean close), then let go. */
  close(): void {
    if (this.fd !== undefined) fs.fdatasyncSync(this.fd);
    this.closeFd();
  }

  /** Let go without writing (what kill -9 leaves). */
  abandon(): void {
    this.closeFd();
  }

  remove(): void {
    this.closeFd();
    fs.rmSync(this.path, { force: true });
  }

  private activate(slots: Buffer): void {
    this.slotBuf = slots;
    this.pending = Buffer.allocUnsafe(PENDING * ENTRY_BYTES);
  }

  /** Entry `i` (from 1): from the unwritten buffer, or read into a scratch buffer; undefined when the file ends before it. */
  private readEntry(i: number, fd = this.fd): Buffer | undefined {
    if (i > this.written) return this.pending!.subarray((i - this.written - 1) * ENTRY_BYTES, (i - this.written) * ENTRY_BYTES);
    const n = fs.readSync(fd!, this.scratch, 0, ENTRY_BYTES, this.entries + (i - 1) * ENTRY_BYTES);
    return n === ENTRY_BYTES ? this.scratch : undefined;
  }

  /** An entry the active file vouches for (its CRC was checked on open, or this process wrote it). */
  private entry(i: number): Buffer {
    const e = this.readEntry(i);
    if (!e) throw new Error(`${this.path}: entry ${i} is past the file's end`);
    return e;
  }

  private writePending(): void {
    const n = this.count - this.written;
    if (n === 0) return;
    const bytes = this.pending!.subarray(0, n * ENTRY_BYTES);
    fs.writeSync(this.fd!, bytes, 0, bytes.length, this.entries + this.written * ENTRY_BYTES);
    this.crc = crc32(bytes, this.crc);
    this.written = this.count;
  }

  /** Into the copy the last write did not use, so a torn write leaves the other whole. */
  private writeHeader(): void {
    this.seq++;
    const b = encodeHeader({ ...this.h, count: this.written, entriesCrc: this.crc, seq: this.seq });
    fs.writeSync(this.fd!, b, 0, b.length, HEADER_AT[this.seq % 2]);
    this.h.count = this.written;
  }

  private loadPageCrcs(size: number): boolean {
    if (size < this.entries + this.h.count * ENTRY_BYTES) return false; // cut short: its slots or entries are gone
    const crcs = readAt(this.fd!, PAGE_CRCS_AT, pagesOf(this.h.slots) * 4);
    if (crcs.length !== pagesOf(this.h.slots) * 4 || crc32(crcs) !== this.h.pagesCrc) return false;
    this.pageCrcs = crcs;
    return true;
  }

  /** Reads entries 1..count, checks their CRC and rebuilds the slots from them. */
  private rebuildSlots(size: number): boolean {
    const n = this.h.count;
    if (size < this.entries + n * ENTRY_BYTES && n > 0) return false;
    const slots = Buffer.alloc(this.h.slots * 4);
    let crc = 0;
    for (let i = 0; i < n; i += READ_CHUNK) {
      const chunk = readAt(this.fd!, this.entries + i * ENTRY_BYTES, Math.min(READ_CHUNK, n - i) * ENTRY_BYTES);
      crc = crc32(chunk, crc);
      for (let at = 0; at < chunk.length; at += ENTRY_BYTES) slots.writeUInt32BE(i + at / ENTRY_BYTES + 1, (entryHash(chunk, at) % this.h.slots) * 4);
    }
    if (crc !== this.h.entriesCrc) return false;
    this.activate(slots);
    return true;
  }

  private closeFd(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function readAt(fd: number, at: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, b, got, length - got, at + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? b : b.subarray(0, got);
}

function close(fd: number, r: WalkResult): WalkResult {
  fs.closeSync(fd);
  return r;
}
