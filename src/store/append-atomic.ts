// The write step of put() and appendRaw(), all or nothing: the records go
// to the commit log in one write, then into their consume queues. If any of
// it fails (ENOSPC, EMFILE, EIO), everything the batch wrote is taken back
// before the caller answers: the commit log is truncated to where the batch
// began, every consume queue it touched goes back to its old end, and the
// flusher forgets it. An error reply therefore always means "not stored".
// If taking it back fails too, the caller must stop accepting writes: the
// tail is in an unknown state, and nothing may be acknowledged on top of it.
import type { CommitLog } from "./commit-log.js";
import type { CommitLogFlusher } from "./commit-log-flusher.js";
import type { ConsumeQueue } from "./consume-queue.js";
import type { Dispatcher } from "./dispatch.js";
import { PutStatus } from "./status.js";
import type { DispatchEntry } from "./types.js";

export type AppendOutcome =
  | { ok: true; grown: Set<ConsumeQueue>; bytes: number }
  | {
      ok: false;
      status: typeof PutStatus.DISK_FULL | typeof PutStatus.IO_ERROR;
      error: unknown;
      /** Set when the rollback failed as well: the store must go read-only. */
      rollbackError?: unknown;
    };

export interface AppendTarget {
  log: CommitLog;
  dispatcher: Dispatcher;
  flusher: CommitLogFlusher;
}

export function appendAtomically(
  t: AppendTarget,
  buf: Buffer,
  positions: readonly number[],
  sizes: readonly number[],
  entries: readonly DispatchEntry[],
): AppendOutcome {
  const start = t.log.maxOffset;
  let dispatching = false;
  try {
    t.log.writeRecords(buf, positions, sizes, sizes.length);
    dispatching = true;
    const grown = t.dispatcher.dispatch(entries);
    return { ok: true, grown, bytes: t.log.maxOffset - start };
  } catch (error) {
    let rollbackError: unknown;
    try {
      if (dispatching) t.dispatcher.undoLast();
      t.log.truncateTo(start);
      t.flusher.truncated(start);
    } catch (err) {
      rollbackError = err;
    }
    if (!isErrno(error) && rollbackError === undefined) throw error; // a bug, not the disk
    const status = isDiskFull(error) ? PutStatus.DISK_FULL : PutStatus.IO_ERROR;
    return rollbackError === undefined ? { ok: false, status, error } : { ok: false, status, error, rollbackError };
  }
}

export function isErrno(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string";
}

export function isDiskFull(err: unknown): boolean {
  const code = isErrno(err) ? err.code : undefined;
  return code === "ENOSPC" || code === "EDQUOT";
}
