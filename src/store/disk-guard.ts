// Refuses writes before the disk is full, as RocketMQ's
// diskSpaceWarningLevelRatio does: above `maxUsedRatio` of the data
// folder's file system, or below `minFreeBytes` free, puts answer
// DISK_FULL and write nothing; reads go on. statfs runs at most once per
// `intervalMs` (by the store's clock) or after `recheckBytes` were written,
// never per put. Crossing the line in either direction is reported once.
import * as fs from "node:fs";

export interface DiskUsage {
  usedRatio: number;
  freeBytes: number;
}

export interface DiskGuardOptions {
  maxUsedRatio: number;
  minFreeBytes: number;
  intervalMs: number;
  recheckBytes: number;
  now: () => number;
  /** Injected in tests; default fs.statfsSync on the folder. */
  usage?: (dir: string) => DiskUsage;
  onChange: (full: boolean, usage: DiskUsage) => void;
  onError: (err: unknown) => void;
}

export function statfsUsage(dir: string): DiskUsage {
  const s = fs.statfsSync(dir);
  // bavail, not bfree: what this process may still write, not blocks reserved for root
  return { usedRatio: s.blocks > 0 ? 1 - s.bavail / s.blocks : 0, freeBytes: s.bavail * s.bsize };
}

export class DiskGuard {
  private checkedAt = -Infinity;
  private written = 0;
  private last: DiskUsage = { usedRatio: 0, freeBytes: Infinity };
  private isFull = false;
  private failing = false;

  constructor(private readonly dir: string, private readonly o: DiskGuardOptions) {}

  /** Whether writes must be refused now; `now` is the caller's clock reading. */
  full(now: number): boolean {
    if (now - this.checkedAt >= this.o.intervalMs || this.written >= this.o.recheckBytes) this.check(now);
    return this.isFull;
  }

  /** Counts bytes appended, so a burst between two intervals is looked at too. */
  wrote(bytes: number): void {
    this.written += bytes;
  }

  /** A write hit ENOSPC: look again at the next put instead of trusting the last reading. */
  recheck(): void {
    this.checkedAt = -Infinity;
  }

  get usage(): DiskUsage & { full: boolean } {
    return { ...this.last, full: this.isFull };
  }

  private check(now: number): void {
    this.checkedAt = now;
    this.written = 0;
    try {
      this.last = (this.o.usage ?? statfsUsage)(this.dir);
      this.failing = false;
    } catch (err) {
      // cannot tell: keep the last verdict; ENOSPC on the write itself still rolls back
      if (!this.failing) this.o.onError(err);
      this.failing = true;
      return;
    }
    const full = this.last.usedRatio > this.o.maxUsedRatio || this.last.freeBytes < this.o.minFreeBytes;
    if (full !== this.isFull) {
      this.isFull = full;
      this.o.onChange(full, this.last);
    }
  }
}
