// The store's background work on one timer (flushIntervalMs), re-armed
// after each tick so that a simulated clock (options.timers) can drive it:
// flush every tick (the commit log, the key index's buffered entries and
// the consume-queue tails with it), consumer offsets every offsetsPersistMs,
// retention every cleanIntervalMs, measured with the store's clock. A tick
// never overlaps the previous one. A real timer is unref'd: it never keeps a process alive.
import type { ResolvedOptions } from "./options.js";

export interface TimerWork {
  flush(): Promise<void>;
  persistOffsets(): Promise<void>;
  clean(): number;
}

export class StoreTimers {
  private timer: unknown;
  private stopped = true;
  private running: Promise<void> | undefined;
  private lastOffsets: number;
  private lastClean: number;

  constructor(private readonly opts: ResolvedOptions, private readonly work: TimerWork) {
    this.lastOffsets = this.lastClean = opts.now();
  }

  start(): void {
    this.stopped = false;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.opts.timers.clear(this.timer);
    this.timer = undefined;
  }

  /** The next tick is armed when this one is due, not when it ends: a slow flush does not stretch the interval. */
  private arm(): void {
    this.timer = this.opts.timers.set(() => {
      this.timer = undefined;
      if (this.stopped) return;
      if (!this.running) this.running = this.tick().finally(() => (this.running = undefined));
      this.arm();
    }, this.opts.flushIntervalMs);
    (this.timer as { unref?: () => void }).unref?.(); // never keeps a process alive
  }

  /** Resolves when a tick in progress has finished. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      await this.work.flush();
      const now = this.opts.now();
      if (now - this.lastOffsets >= this.opts.offsetsPersistMs) {
        this.lastOffsets = now;
        await this.work.persistOffsets();
      }
      if (now - this.lastClean >= this.opts.cleanIntervalMs) {
        this.lastClean = now;
        this.work.clean();
      }
    } catch (err) {
      this.opts.onError(err);
    }
  }
}
