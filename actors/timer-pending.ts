// The timer service's memory: the undelivered timers as a binary min-heap
// on (due time, timer-queue offset) in typed arrays (24 bytes a timer, no
// object per timer), and which timer-queue offsets are done (delivered, or
// found delivered in the log) as a bit window, whose first unset bit is
// the progress the service persists.

/** One timer: when it is due, its timer-queue offset, and its record's commit-log offset. */
export interface TimerEntry {
  due: number;
  offset: number;
  commitLogOffset: number;
}

export class PendingTimers {
  private due: Float64Array;
  private off: Float64Array;
  private clo: Float64Array;
  private n = 0;

  /** `max`: most timers held; add() refuses past it. */
  constructor(readonly max: number, initial = 1024) {
    const cap = Math.max(1, Math.min(initial, max));
    this.due = new Float64Array(cap);
    this.off = new Float64Array(cap);
    this.clo = new Float64Array(cap);
  }

  get size(): number {
    return this.n;
  }

  /** Bytes held by the arrays (capacity, not size). */
  get bytes(): number {
    return this.due.byteLength * 3;
  }

  /** The earliest due time, or Infinity when empty. */
  nextDue(): number {
    return this.n === 0 ? Infinity : this.due[0]!;
  }

  /** False (nothing added) when `max` timers are held already. */
  add(due: number, offset: number, commitLogOffset: number): boolean {
    if (this.n >= this.max) return false;
    if (this.n === this.due.length) this.grow();
    let i = this.n++;
    // sift up
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(due, offset, p)) break;
      this.move(p, i);
      i = p;
    }
    this.due[i] = due;
    this.off[i] = offset;
    this.clo[i] = commitLogOffset;
    return true;
  }

  /** Removes and returns the earliest timer if it is due at `now` or before. */
  popDue(now: number): TimerEntry | undefined {
    if (this.n === 0 || this.due[0]! > now) return undefined;
    const top: TimerEntry = { due: this.due[0]!, offset: this.off[0]!, commitLogOffset: this.clo[0]! };
    const last = --this.n;
    if (last > 0) {
      const d = this.due[last]!;
      const o = this.off[last]!;
      const c = this.clo[last]!;
      let i = 0;
      // sift down
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        const m = r < last && this.lessAt(r, l) ? r : l;
        if (!this.lessAt2(m, d, o)) break;
        this.move(m, i);
        i = m;
      }
      this.due[i] = d;
      this.off[i] = o;
      this.clo[i] = c;
    }
    if (this.n < this.due.length >> 2 && this.due.length > 1024) this.shrink();
    return top;
  }

  clear(): void {
    this.n = 0;
  }

  private less(due: number, offset: number, j: number): boolean {
    const dj = this.due[j]!;
    return due < dj || (due === dj && offset < this.off[j]!);
  }
  private lessAt(i: number, j: number): boolean {
    return this.less(this.due[i]!, this.off[i]!, j);
  }
  /** Whether slot i comes before (d, o). */
  private lessAt2(i: number, d: number, o: number): boolean {
    const di = this.due[i]!;
    return di < d || (di === d && this.off[i]! < o);
  }
  private move(from: number, to: number): void {
    this.due[to] = this.due[from]!;
    this.off[to] = this.off[from]!;
    this.clo[to] = this.clo[from]!;
  }
  private resize(cap: number): void {
    const copy = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.due = copy(this.due);
    this.off = copy(this.off);
    this.clo = copy(this.clo);
  }
  private grow(): void {
    this.resize(Math.min(this.max, this.due.length * 2));
  }
  private shrink(): void {
    this.resize(Math.max(1024, this.due.length >> 1));
  }
}

/**
 * Which timer-queue offsets from `low` on are done, one bit each. `low`
 * only moves forward, past offsets marked done; everything below it is done.
 */
export class DoneOffsets {
  private bits = new Uint8Array(1024);
  /** Offset of bit 0. */
  private origin: number;
  private lowest: number;

  constructor(low: number) {
    this.origin = low;
    this.lowest = low;
  }

  /** The lowest offset not known done. */
  get low(): number {
    return this.lowest;
  }

  /** Offsets the window spans now (its memory is an eighth of this in bytes). */
  get span(): number {
    return this.bits.length * 8;
  }

  isDone(offset: number): boolean {
    if (offset < this.lowest) return true;
    const i = offset - this.origin;
    if (i >= this.bits.length * 8) return false;
    return (this.bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  markDone(offset: number): void {
    if (offset < this.lowest) return;
    let i = offset - this.origin;
    if (i >= this.bits.length * 8) {
      this.compact();
      i = offset - this.origin;
      if (i >= this.bits.length * 8) {
        let len = this.bits.length;
        while (i >= len * 8) len *= 2;
        const b = new Uint8Array(len);
        b.set(this.bits);
        this.bits = b;
      }
    }
    this.bits[i >> 3]! |= 1 << (i & 7);
    if (offset === this.lowest) this.advance();
  }

  private advance(): void {
    let i = this.lowest - this.origin;
    const end = this.bits.length * 8;
    while (i < end) {
      const byte = this.bits[i >> 3]!;
      if (byte === 0xff && (i & 7) === 0) {
        i += 8;
        continue;
      }
      if ((byte & (1 << (i & 7))) === 0) break;
      i++;
    }
    this.lowest = this.origin + i;
    if (i >= 8 * 4096) this.compact();
  }

  /** Drops whole bytes below `low`. */
  private compact(): void {
    const drop = (this.lowest - this.origin) >> 3;
    if (drop === 0) return;
    this.bits.copyWithin(0, drop);
    this.bits.fill(0, this.bits.length - drop);
    this.origin += drop * 8;
  }
}
