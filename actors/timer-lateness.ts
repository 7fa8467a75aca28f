// How late the timer service delivered: the last `size` deliveries' lateness
// (ms past due) in a ring, for status and metrics (p50, p99, worst).

export class Lateness {
  private readonly ring: Float64Array;
  private n = 0;
  private worst = 0;

  constructor(size: number) {
    this.ring = new Float64Array(size);
  }

  add(ms: number): void {
    this.ring[this.n++ % this.ring.length] = ms;
    if (ms > this.worst) this.worst = ms;
  }

  /** p50 and p99 of the ring, the worst since the start, and how many were counted. */
  summary(): { p50: number; p99: number; max: number; count: number } {
    const k = Math.min(this.n, this.ring.length);
    if (k === 0) return { p50: 0, p99: 0, max: 0, count: 0 };
    const sorted = this.ring.slice(0, k).sort();
    const at = (q: number) => sorted[Math.min(k - 1, Math.floor(q * k))]!;
    return { p50: at(0.5), p99: at(0.99), max: this.worst, count: this.n };
  }
}
