// Background writes (checkpoint, queue manifest, consumer offsets) are
// retried every tick; on a full disk each would fail every 500 ms. This
// reports a failing write once when it starts failing and once when it
// works again, never on every tick.
import type { Logger } from "../runtime/log.js";

export class FailureLatch {
  private readonly failing = new Set<string>();

  constructor(private readonly log: Logger) {}

  failed(what: string, err: unknown): void {
    if (this.failing.has(what)) return;
    this.failing.add(what);
    this.log.error(`${what} cannot be written`, { error: String(err) });
  }

  ok(what: string): void {
    if (!this.failing.delete(what)) return;
    this.log.info(`${what} written again`);
  }

  /** Runs `write`; reports its first failure and its recovery. Returns whether it succeeded. */
  async attempt(what: string, write: () => unknown): Promise<boolean> {
    try {
      await write();
    } catch (err) {
      this.failed(what, err);
      return false;
    }
    this.ok(what);
    return true;
  }

  isFailing(what: string): boolean {
    return this.failing.has(what);
  }
}
