// Delay levels and the timer horizon: RocketMQ 4's messageDelayLevel
// ("1s 5s 10s 30s 1m 2m …", level n is the n-th entry) and RocketMQ 5's
// timerMaxDelaySec (3 days), as a broker option each.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** RocketMQ 4's default messageDelayLevel: levels 1–18. */
export const DEFAULT_DELAY_LEVELS = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
/** RocketMQ 5's timerMaxDelaySec: 3 days. */
export const DEFAULT_TIMER_HORIZON_MS = 3 * 86_400_000;

/** "250ms", "5s", "1.5m", "2h", "3d" (or a bare number of ms) → ms; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(t);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A messageDelayLevel string → each level's delay in ms (index 0 is level 1). Throws on a bad entry. */
export function parseDelayLevels(text: string): number[] {
  const parts = text.trim().split(/\s+/).filter((p) => p !== "");
  if (parts.length === 0) throw new Error(`delay levels: at least one duration is needed, got "${text}"`);
  return parts.map((p, i) => {
    const ms = parseDuration(p);
    if (ms === undefined || ms <= 0) throw new Error(`delay level ${i + 1}: "${p}" is not a positive duration (250ms, 5s, 1m, 2h, 1d)`);
    return ms;
  });
}

/** A duration for humans: 1500 → "1.5s", 7_200_000 → "2h". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms >= size) return `${+(ms / size).toFixed(3)}${unit}`;
  }
  return `${ms}ms`;
}
