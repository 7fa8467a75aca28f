// Makes the commit log durable. Two users:
//  - async flush (RocketMQ's default): the store's timer calls flush() every
//    flushIntervalMs; puts never wait.
//  - sync flush, group commit (RocketMQ's GroupCommitService): every put
//    calls waitFor(itsEnd). Waiters that arrive while no fsync runs are
//    gathered until the next turn of the event loop, then ONE round of
//    fdatasync covers all of them; waiters that arrive during a round are
//    covered together by the next one. A waiter not covered within
//    timeoutMs gets false (FLUSH_TIMEOUT); its data may still reach disk.
//    A failed fsync (EIO) also answers false, and goes to onFsyncError:
//    the records were written and may or may not be on disk. After one,
//    a later fsync may report success for pages the kernel already
//    dropped (Linux clears the error once reported), so the store stops
//    taking writes rather than acknowledge on top of it.
import type { CommitLog } from "./commit-log.js";
import { realStoreTimers, type StoreTimerFns } from "./options.js";

export type FsyncFn = (fd: number) => Promise<void>;

interface Waiter {
  upTo: number;
  resolve: (ok: boolean) => void;
  timer: unknown;
}

export class CommitLogFlusher {
  /** Everything before this offset has been fsynced. */
  flushed: number;
  private round: Promise<void> | undefined;
  private scheduled = false;
  private waiters: Waiter[] = [];

  constructor(
    private readonly log: CommitLog,
    private readonly fsync: FsyncFn,
    private readonly timeoutMs: number,
    private readonly onFsyncError: (err: unknown) => void = () => {},
    private readonly timers: StoreTimerFns = realStoreTimers,
    /** After every round that moved the flushed mark, before its waiters are answered. */
    private readonly onFlushed: (flushed: number) => void = () => {},
  ) {
    this.flushed = log.maxOffset;
  }

  /** Resolves true once everything before `upTo` is on disk, false after timeoutMs. */
  waitFor(upTo: number): Promise<boolean> {
    if (this.flushed >= upTo) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const w: Waiter = { upTo, resolve, timer: this.timers.set(() => this.expire(w), this.timeoutMs) };
      this.waiters.push(w);
      this.schedule();
    });
  }

  /** Flushes everything written so far (waiting out a round already running). */
  async flush(): Promise<void> {
    while (this.flushed < this.log.maxOffset) {
      this.round ??= this.runRound().finally(() => (this.round = undefined));
      await this.round;
    }
  }

  /** Fails every waiter (the store is closing without a flush). */
  abandon(): void {
    this.failAll();
  }

  private schedule(): void {
    if (this.scheduled || this.round) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush().then(
        () => {
          if (this.waiters.length > 0) this.schedule(); // arrived during the last round
        },
        () => this.failAll(), // runRound reported it
      );
    });
  }

  private async runRound(): Promise<void> {
    const target = this.log.maxOffset;
    try {
      await this.log.fsyncDirty(this.fsync);
    } catch (err) {
      this.onFsyncError(err);
      throw err;
    }
    if (target > this.flushed) {
      this.flushed = target;
      this.onFlushed(target);
    }
    this.release();
  }

  private release(): void {
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.upTo <= this.flushed) {
        this.timers.clear(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.waiters = still;
  }

  private expire(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    w.resolve(false);
  }

  private failAll(): void {
    for (const w of this.waiters.splice(0)) {
      this.timers.clear(w.timer);
      w.resolve(false);
    }
  }

  /** After truncateTo: the flushed mark cannot be past the end. */
  truncated(to: number): void {
    this.flushed = Math.min(this.flushed, to);
  }
}
