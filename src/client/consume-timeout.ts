// The consume timeout (RocketMQ's consumeTimeout, 15 min): a listener that
// holds a message longer has it handed back, and its queue moves on. One
// sweep per consumer, not a timer per message: each delivery loop arms its
// deadline when a message enters the listener, and the sweep fires the
// ones held too long. Only a listener that returns a promise can be left
// behind this way; one that blocks the event loop blocks the sweep too.

/** What a fired deadline resolves its race with. */
export const TIMED_OUT: unique symbol = Symbol("consume timeout");

export class ConsumeDeadline {
  private startedAt = -1;
  private fire: ((v: typeof TIMED_OUT) => void) | undefined;
  private fired: Promise<typeof TIMED_OUT> | undefined;

  /** A message entered the listener now. */
  arm(now: number): void {
    this.startedAt = now;
  }

  disarm(): void {
    this.startedAt = -1;
  }

  /** Resolves with TIMED_OUT when the sweep fires this deadline (one promise until then, shared by every message). */
  get expired(): Promise<typeof TIMED_OUT> {
    return (this.fired ??= new Promise((resolve) => (this.fire = resolve)));
  }

  /** Fires if armed longer than `timeoutMs`; the next message waits on a fresh promise. */
  check(now: number, timeoutMs: number): void {
    if (this.startedAt < 0 || now - this.startedAt < timeoutMs || !this.fire) return;
    this.startedAt = -1;
    const fire = this.fire;
    this.fire = undefined;
    this.fired = undefined;
    fire(TIMED_OUT);
  }
}

/** How often the sweep looks: a quarter of the timeout, between 50 ms and 1 min. */
export function sweepIntervalMs(timeoutMs: number): number {
  return Math.max(50, Math.min(60_000, Math.floor(timeoutMs / 4)));
}
