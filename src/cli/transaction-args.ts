// `rbus broker` flags for the check-back of half messages
// (actors/transaction-service.ts), named after RocketMQ's broker settings.
import type { Command } from "commander";
import { DEFAULT_TRANSACTION_OPTIONS, type TransactionOptions } from "../../actors/transaction-service.js";
import { UsageError } from "./args.js";

const FLAGS: Array<[flag: string, key: keyof TransactionOptions, what: string]> = [
  ["transaction-timeout", "checkImmunityMs", "ms a half message waits before its producer group is asked about it (RocketMQ's transactionTimeOut)"],
  ["transaction-check-interval", "checkIntervalMs", "ms between check passes (RocketMQ's transactionCheckInterval)"],
  ["transaction-check-max", "checkMax", "unanswered checks before a half message is rolled back (RocketMQ's transactionCheckMax)"],
  ["transaction-check-timeout", "checkTimeoutMs", "ms one check waits for the producer group's answer"],
];
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function transactionOptions(cmd: Command): Command {
  for (const [flag, key, what] of FLAGS) cmd.option(`--${flag} <n>`, `${what} (default: ${DEFAULT_TRANSACTION_OPTIONS[key]})`);
  return cmd;
}

/** The transaction settings given on the command line (positive integers); the rest keep their defaults. */
export function transactionArgs(values: Record<string, unknown>): Partial<TransactionOptions> {
  const out: Partial<TransactionOptions> = {};
  for (const [flag, key] of FLAGS) {
    const v = values[camel(flag)];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer, got "${String(v)}"`);
    out[key] = n;
  }
  return out;
}
