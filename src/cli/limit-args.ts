// `rbus broker` flags for the broker's limits (actors/limits.ts): one flag
// per limit, named after it (--max-held-pulls for maxHeldPulls…).
import type { Command } from "commander";
import { DEFAULT_LIMITS, type BrokerLimits } from "../../actors/limits.js";
import { UsageError } from "./args.js";

const flagOf = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const keys = Object.keys(DEFAULT_LIMITS) as Array<keyof BrokerLimits>;
const what = (k: string) => flagOf(k).replace(/-/g, " ").replace(/^max /, "at most this many: ");

/** Every limit flag with its default (values stay unset unless given: the broker keeps its defaults). */
export function limitOptions(cmd: Command): Command {
  for (const k of keys) cmd.option(`--${flagOf(k)} <n>`, `${what(k)} (default: ${DEFAULT_LIMITS[k]})`);
  return cmd;
}

/** The limits given on the command line (positive integers), by the options' camel-case names; the rest keep their defaults. */
export function limitArgs(values: Record<string, unknown>): Partial<BrokerLimits> {
  const out: Partial<BrokerLimits> = {};
  for (const k of keys) {
    const v = values[k];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flagOf(k)} must be a positive integer, got "${String(v)}"`);
    out[k] = n;
  }
  return out;
}
