// Command-line parsing shared by every rbus subcommand.
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, type NatsAuth } from "../runtime/nats.js";

export class UsageError extends Error {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

const env = (name: string) => (process.env[name] === "" ? undefined : process.env[name]);

/**
 * How every command reaches NATS: the server, and the credentials, TLS files
 * and inbox prefix of its user. Each flag also comes from the environment
 * variable the `nats` CLI reads (NATS_URL, NATS_NKEY, …).
 */
export const natsOption = {
  nats: { type: "string", default: env("NATS_URL") ?? "nats://127.0.0.1:4222" },
  creds: { type: "string", default: env("NATS_CREDS") },
  nkey: { type: "string", default: env("NATS_NKEY") },
  user: { type: "string", default: env("NATS_USER") },
  password: { type: "string", default: env("NATS_PASSWORD") },
  token: { type: "string", default: env("NATS_TOKEN") },
  "tls-ca": { type: "string", default: env("NATS_CA") },
  "tls-cert": { type: "string", default: env("NATS_CERT") },
  "tls-key": { type: "string", default: env("NATS_KEY") },
  "inbox-prefix": { type: "string", default: env("NATS_INBOX_PREFIX") },
} as const;

/** The connection flags every command shares, for usage lines. */
export const natsUsage = "[--nats <url>] [--nkey <file> | --creds <file> | --user <u> --password <p> | --token <t>] [--tls-ca <pem>] [--tls-cert <pem> --tls-key <pem>] [--inbox-prefix <p>]";

type NatsValues = { [K in keyof typeof natsOption]?: string | undefined };

/** The parsed connection flags as connectNats takes them. */
export function natsAuth(values: NatsValues): NatsAuth {
  if (values.password !== undefined && values.user === undefined) throw new UsageError("--password needs --user (or NATS_USER)");
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  const auth: NatsAuth = {
    creds: values.creds,
    nkey: values.nkey,
    user: values.user,
    password: values.password,
    token: values.token,
    tlsCa: values["tls-ca"],
    tlsCert: values["tls-cert"],
    tlsKey: values["tls-key"],
    inboxPrefix: values["inbox-prefix"],
  };
  if (auth.inboxPrefix !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(auth.inboxPrefix)) {
    throw new UsageError(`--inbox-prefix "${auth.inboxPrefix}" must be subject tokens separated by dots, e.g. _INBOX.admin`);
  }
  return definedOnly(auth);
}

/** The fields that were given: a flag left out keeps the callee's default instead of overriding it with undefined. */
export function definedOnly<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** A connection from a command's parsed flags. */
export function connectFromFlags(values: NatsValues & { nats: string }, name: string, opts: { noAsyncTraces?: boolean } = {}): Promise<NatsConnection> {
  return connectNats(values.nats, name, { ...opts, auth: natsAuth(values) });
}
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
