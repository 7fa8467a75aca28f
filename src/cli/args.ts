// Command-line parsing shared by every rbus subcommand.
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export const natsOption = { nats: { type: "string", default: process.env.NATS_URL ?? "nats://127.0.0.1:4222" } } as const;
export const prefixOption = { prefix: { type: "string", default: process.env.RBUS_PREFIX ?? "rbus" } } as const;

export function parse<O extends Options>(argv: string[], options: O, usage: string) {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(`usage: ${usage}`);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: ${usage}`);
  }
}

/** A non-negative integer option, with the option's name in the error. */
export function intArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

export function required(value: string | undefined, name: string, usage: string): string {
  if (value === undefined || value === "") throw new UsageError(`--${name} is required\nusage: ${usage}`);
  return value;
}

/** Runs until SIGINT/SIGTERM, then calls `stop` once and exits. */
export function untilSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err) => {
        console.error(`error while stopping after ${signal}: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
