// Latency samples and rates, as the benchmark reports them.

/** Percentile p (0–100) of sorted samples, nearest-rank. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Latency {
  p50: number;
  p99: number;
  p999: number;
  samples: number;
}

/** Collects latencies in ms without allocating per sample. */
export class LatencyRecorder {
  private readonly values: Float64Array;
  private n = 0;
  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }
  add(ms: number): void {
    if (this.n < this.values.length) this.values[this.n++] = ms;
  }
  get count(): number {
    return this.n;
  }
  summary(): Latency {
    const sorted = this.values.slice(0, this.n).sort();
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), samples: this.n };
  }
}

export const rate = (count: number, ms: number) => (count * 1000) / ms;

/** Runs `op` with `concurrency` loops until `total` operations are done; returns the elapsed ms. */
export async function runConcurrent(total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const loop = async () => {
    while (next < total) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, loop));
  return performance.now() - t0;
}

/** Calls `tick(i)` `count` times at `perSecond`, in small bursts on a timer (no busy loop). */
export async function atFixedRate(count: number, perSecond: number, tick: (i: number) => void): Promise<void> {
  const t0 = performance.now();
  let i = 0;
  while (i < count) {
    const due = Math.min(count, Math.floor(((performance.now() - t0) * perSecond) / 1000) + 1);
    while (i < due) tick(i++);
    await new Promise((r) => setTimeout(r, 1));
  }
}
