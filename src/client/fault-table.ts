// The producer's fault table: RocketMQ's MQFaultStrategy with its
// LatencyFaultTolerance. A broker group that failed a send is kept out of
// queue selection for a while; once every group is out, sends still go
// somewhere (the group that comes back first) rather than nowhere.
// Time is injected, so tests move it by hand.

/** RocketMQ's MQFaultStrategy tables: a send this slow (ms) … */
export const LATENCY_STEPS = [50, 100, 550, 1000, 2000, 3000, 15_000] as const;
/** … keeps its group out this long (ms). */
export const ISOLATION_STEPS = [0, 0, 30_000, 60_000, 120_000, 180_000, 600_000] as const;

export interface FaultTableOptions {
  /** A failed send keeps its group out this long (RocketMQ counts a failure as 10 s+ of latency). */
  isolationMs?: number;
  /** Also keep out groups that answer slowly, by RocketMQ's latency steps. */
  latencyIsolation?: boolean;
  now?: () => number;
}

/** Isolation for a send that took `latencyMs`, by the RocketMQ steps. */
export function isolationFor(latencyMs: number): number {
  for (let i = LATENCY_STEPS.length - 1; i >= 0; i--) {
    if (latencyMs >= LATENCY_STEPS[i]!) return ISOLATION_STEPS[i]!;
  }
  return 0;
}

export class FaultTable {
  /** group → the time it may be used again. Only groups that are out, or were. */
  private readonly until = new Map<string, number>();
  private readonly isolationMs: number;
  private readonly latencyIsolation: boolean;
  private readonly now: () => number;

  constructor(opts: FaultTableOptions = {}) {
    this.isolationMs = opts.isolationMs ?? 30_000;
    this.latencyIsolation = opts.latencyIsolation ?? false;
    this.now = opts.now ?? Date.now;
  }

  /** A send to `group` failed with an error that says "try elsewhere". */
  failed(group: string): void {
    this.until.set(group, this.now() + this.isolationMs);
  }

  /** A send to `group` succeeded after `latencyMs`. */
  succeeded(group: string, latencyMs: number): void {
    if (this.latencyIsolation) {
      const out = isolationFor(latencyMs);
      if (out > 0) {
        this.until.set(group, this.now() + out);
        return;
      }
    }
    this.until.delete(group);
  }

  /** The group's failure is forgotten: a new master took over from the one that failed. */
  clear(group: string): void {
    this.until.delete(group);
  }

  /** Whether the group may be chosen. Cheap when no group ever failed: the hot path asks per message. */
  isAvailable(group: string): boolean {
    if (this.until.size === 0) return true;
    const t = this.until.get(group);
    return t === undefined || this.now() >= t;
  }

  /** Of `groups`, the one whose isolation ends first (RocketMQ's pickOneAtLeast): where to go when all are out. */
  leastFaulted(groups: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestUntil = Infinity;
    for (const g of groups) {
      const t = this.until.get(g) ?? -Infinity;
      if (t < bestUntil) {
        best = g;
        bestUntil = t;
      }
    }
    return best;
  }

  /** Groups that are out now, with the ms left: for logs and tests. */
  snapshot(): Record<string, number> {
    const now = this.now();
    // fromEntries defines keys: a group named "__proto__" is a key like any other
    return Object.fromEntries([...this.until].filter(([, t]) => t > now).map(([g, t]) => [g, t - now]));
  }
}
