// `rbus broker` flags for the broker's limits (actors/limits.ts): one flag
// per limit, named after it (--max-held-pulls for maxHeldPulls…).
import { DEFAULT_LIMITS, type BrokerLimits } from "../../actors/limits.js";
import { UsageError } from "./args.js";

const flagOf = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const keys = Object.keys(DEFAULT_LIMITS) as Array<keyof BrokerLimits>;

export const limitOptions = Object.fromEntries(keys.map((k) => [flagOf(k), { type: "string" as const }])) as Record<string, { type: "string" }>;

/** For the usage line: every limit flag with its default. */
export const limitUsage = keys.map((k) => `[--${flagOf(k)} <n, default ${DEFAULT_LIMITS[k]}>]`).join(" ");

/** The limits given on the command line (positive integers); the rest keep their defaults. */
export function limitArgs(values: Record<string, unknown>): Partial<BrokerLimits> {
  const out: Partial<BrokerLimits> = {};
  for (const k of keys) {
    const v = values[flagOf(k)];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flagOf(k)} must be a positive integer, got "${String(v)}"`);
    out[k] = n;
  }
  return out;
}
