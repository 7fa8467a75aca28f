// The store's background work on one interval timer (flushIntervalMs):
// flush every tick, consumer offsets every offsetsPersistMs, retention every
// cleanIntervalMs, measured with the store's clock. A tick never overlaps
// the previous one. The timer is unref'd: it never keeps a process alive.
import type { ResolvedOptions } from "./options.js";

export interface TimerWork {
  flush(): Promise<void>;
  persistOffsets(): Promise<void>;
  clean(): number;
}

export class StoreTimers {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastOffsets: number;
  private lastClean: number;

  constructor(private readonly opts: ResolvedOptions, private readonly work: TimerWork) {
    this.lastOffsets = this.lastClean = opts.now();
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().finally(() => (this.running = undefined));
    }, this.opts.flushIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
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
