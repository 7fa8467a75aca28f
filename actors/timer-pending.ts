// The timer service's undelivered timers: a binary min-heap on (due time,
// timer-queue offset) in typed arrays (24 bytes a timer, no object per
// timer). Which offsets are done is timer-done.ts.

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
