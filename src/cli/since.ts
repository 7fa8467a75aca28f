// --since for rbus events: a time (ISO 8601, or ms since the epoch) or a
// duration before now (90s, 15m, 2h, 1d).
import { UsageError } from "./args.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function sinceArg(value: string, now = Date.now()): number {
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2]!]!;
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--since takes a time (2026-01-31T12:00:00Z, or ms since the epoch) or a duration (90s, 15m, 2h, 1d), got "${value}"`);
  return t;
}
