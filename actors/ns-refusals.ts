// Counts what a NameServer refuses and logs it without letting a flood of
// forged messages become a flood of log lines: at most one warning per
// reason every `everyMs`, carrying how many were refused since the last.
import type { Logger } from "../src/runtime/log.js";

export class Refusals {
  readonly counts = { forbidden: 0, limited: 0 };
  private readonly since = new Map<string, { at: number; count: number }>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 10_000,
  ) {}

  /** Records one refusal; `fields` describe this one (the first of a window is logged). */
  note(kind: "forbidden" | "limited", reason: string, fields: Record<string, unknown>): void {
    this.counts[kind]++;
    const key = `${kind} ${reason}`;
    const now = this.now();
    const w = this.since.get(key);
    if (w && now - w.at < this.everyMs) {
      w.count++;
      return;
    }
    const suppressed = w ? w.count : 0;
    this.since.set(key, { at: now, count: 0 });
    if (this.since.size > 256) this.since.delete(this.since.keys().next().value!);
    this.log.warn(kind === "forbidden" ? "registration refused: not from the replica" : "registration refused: over a limit", {
      reason,
      ...fields,
      ...(suppressed > 0 ? { alsoRefusedSinceLastWarning: suppressed } : {}),
    });
  }
}
