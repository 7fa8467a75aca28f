// A consume queue's newest entries, kept in memory until they are written
// (consume-queue.ts decides when). Consecutive logical offsets
// [from, from + count), 20 bytes each. The buffer starts small and doubles
// up to TAIL_ENTRIES, so a queue that takes a few entries per flush holds a
// few hundred bytes, and a busy one writes every TAIL_ENTRIES entries.
const ENTRY = 20;
/** The most entries a tail holds before they must be written (20 KiB). */
export const TAIL_ENTRIES = 1024;
const FIRST_ENTRIES = 16;

const EMPTY = Buffer.alloc(0);

export class QueueTail {
  /** Logical offset of the first entry held. */
  from = 0;
  count = 0;
  buf: Buffer = EMPTY;

  get end(): number {
    return this.from + this.count;
  }

  /** Whether `n` more entries fit without writing. */
  fits(n: number): boolean {
    return this.count + n <= TAIL_ENTRIES;
  }

  /** Copies `n` entries from `src` to the end (the caller checked fits()). */
  push(src: Buffer, n: number): void {
    const need = (this.count + n) * ENTRY;
    if (need > this.buf.length) {
      let size = Math.max(this.buf.length, FIRST_ENTRIES * ENTRY);
      while (size < need) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, TAIL_ENTRIES * ENTRY));
      this.buf.copy(grown, 0, 0, this.count * ENTRY);
      this.buf = grown;
    }
    src.copy(this.buf, this.count * ENTRY, 0, n * ENTRY);
    this.count += n;
  }

  /**
   * Copies entries [lo, hi) into `out` at byte `at`; offsets below `from`
   * (between the files' end and a tail that starts past it) are holes.
   */
  copyOut(lo: number, hi: number, out: Buffer, at: number): void {
    const gap = Math.max(0, Math.min(hi, this.from) - lo);
    if (gap > 0) out.fill(0, at, at + gap * ENTRY);
    const start = Math.max(lo, this.from);
    if (start < hi) this.buf.copy(out, at + gap * ENTRY, (start - this.from) * ENTRY, (hi - this.from) * ENTRY);
  }

  /** The first `n` entries were written: they leave the tail. */
  dropFront(n: number): void {
    if (n <= 0) return;
    const k = Math.min(n, this.count);
    this.buf.copy(this.buf, 0, k * ENTRY, this.count * ENTRY);
    this.from += k;
    this.count -= k;
  }

  clear(): void {
    this.count = 0;
  }
}
