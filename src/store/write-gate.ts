// Whether the store may take a write now, and what a failed one does to
// that: puts are refused with DISK_FULL while the disk is above its fill
// level (disk-guard.ts), and with IO_ERROR for good (until a restart) once
// a failed append could not be rolled back, since the commit log's tail is
// then in an unknown state and nothing may be acknowledged on top of it.
// Each change of state is logged once.
import type { AppendOutcome } from "./append-atomic.js";
import { isDiskFull } from "./append-atomic.js";
import { DiskGuard } from "./disk-guard.js";
import type { ResolvedOptions } from "./options.js";
import { PutStatus } from "./status.js";

export class WriteGate {
  private readonly disk: DiskGuard;
  /** Why writes are refused until restart, if they are. */
  private readOnlyWhy: string | undefined;
  private appendFailing = false;

  constructor(dir: string, private readonly opts: ResolvedOptions) {
    this.disk = new DiskGuard(dir, {
      maxUsedRatio: opts.diskMaxUsedRatio, minFreeBytes: opts.diskMinFreeBytes, intervalMs: opts.diskCheckIntervalMs,
      recheckBytes: 64 << 20, now: opts.now, usage: opts.diskUsage, onError: opts.onError,
      onChange: (full, u) => {
        const fields = { usedRatio: Number(u.usedRatio.toFixed(4)), freeBytes: u.freeBytes, maxUsedRatio: opts.diskMaxUsedRatio };
        if (full) opts.log.warn("disk full: refusing writes", fields);
        else opts.log.info("disk has room again: accepting writes", fields);
      },
    });
  }

  get readOnly(): boolean {
    return this.readOnlyWhy !== undefined;
  }

  get diskState(): { usedRatio: number; full: boolean } {
    const u = this.disk.usage;
    return { usedRatio: u.usedRatio, full: u.full };
  }

  /** Why a write must be refused at `now`, if it must. */
  refusal(now: number): PutStatus | undefined {
    if (this.readOnlyWhy !== undefined) return PutStatus.IO_ERROR;
    if (this.disk.full(now)) return PutStatus.DISK_FULL;
    return undefined;
  }

  appended(bytes: number): void {
    this.disk.wrote(bytes);
    if (!this.appendFailing) return;
    this.appendFailing = false;
    this.opts.log.info("appends succeed again");
  }

  failed(out: Extract<AppendOutcome, { ok: false }>): void {
    if (isDiskFull(out.error)) this.disk.recheck();
    if (out.rollbackError !== undefined) {
      this.goReadOnly("a failed append could not be rolled back", out.rollbackError, out.error);
      return;
    }
    if (this.appendFailing) return;
    this.appendFailing = true;
    this.opts.log.error("append failed and was rolled back; nothing of it is stored", { error: String(out.error) });
  }

  goReadOnly(why: string, err: unknown, cause?: unknown): void {
    if (this.readOnlyWhy !== undefined) return;
    this.readOnlyWhy = why;
    this.opts.log.error(`store is read-only until restart: ${why}`, { error: String(err), cause: cause && String(cause) });
    this.opts.onError(err);
  }
}
