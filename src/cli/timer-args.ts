// Timer flags: `rbus broker --delay-levels/--timer-horizon/--max-pending-timers`
// (actors/timer-api.ts) and `rbus send --delay/--deliver-at`.
import type { Command } from "commander";
import { DEFAULT_MAX_PENDING_TIMERS, type TimerOptions } from "../../actors/timer-api.js";
import { DEFAULT_DELAY_LEVELS, parseDelayLevels, parseDuration } from "../../actors/timer-levels.js";
import type { MessageDelay } from "../client/producer-delay.js";
import { UsageError } from "./args.js";

export function timerOptions(cmd: Command): Command {
  return cmd
    .option("--delay-levels <list>", `delay levels 1, 2, … (RocketMQ's messageDelayLevel; default: "${DEFAULT_DELAY_LEVELS}")`)
    .option("--timer-horizon <duration>", "how far ahead a timer message may be due (default: 3d)")
    .option("--max-pending-timers <n>", `undelivered timer messages it holds at most; timed sends past it are refused (default: ${DEFAULT_MAX_PENDING_TIMERS})`);
}

export function timerArgs(values: { delayLevels?: string; timerHorizon?: string; maxPendingTimers?: string }): TimerOptions {
  const out: TimerOptions = {};
  if (values.delayLevels !== undefined) {
    try {
      parseDelayLevels(values.delayLevels);
    } catch (err) {
      throw new UsageError(`--delay-levels: ${err instanceof Error ? err.message : String(err)}`);
    }
    out.delayLevels = values.delayLevels;
  }
  if (values.timerHorizon !== undefined) {
    const ms = parseDuration(values.timerHorizon);
    if (ms === undefined || ms <= 0) throw new UsageError(`--timer-horizon takes a duration (3d, 12h, 90m), got "${values.timerHorizon}"`);
    out.horizonMs = ms;
  }
  if (values.maxPendingTimers !== undefined) {
    const n = Number(values.maxPendingTimers);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--max-pending-timers must be a positive integer, got "${values.maxPendingTimers}"`);
    out.maxPending = n;
  }
  return out;
}

/** `--delay 3` (a level), `--delay 90s` (a duration), `--deliver-at 2026-12-01T22:00:00Z` (or ms since the epoch). */
export function delayArgs(delay: string | undefined, deliverAt: string | undefined): MessageDelay {
  if (delay !== undefined && deliverAt !== undefined) throw new UsageError("--delay and --deliver-at: give one");
  if (delay !== undefined) {
    if (/^\d{1,3}$/.test(delay)) return { delayLevel: Number(delay) };
    const ms = parseDuration(delay);
    if (ms === undefined) throw new UsageError(`--delay takes a level (1–18) or a duration (500ms, 30s, 5m, 2h), got "${delay}"`);
    return { delayMs: ms };
  }
  if (deliverAt !== undefined) {
    const at = /^\d+$/.test(deliverAt) ? Number(deliverAt) : Date.parse(deliverAt);
    if (Number.isNaN(at)) throw new UsageError(`--deliver-at takes a time (2026-01-31T12:00:00Z, or ms since the epoch), got "${deliverAt}"`);
    return { deliverAt: at };
  }
  return {};
}
