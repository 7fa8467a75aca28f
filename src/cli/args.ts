// What rbus commands share once their flags are parsed: usage errors, the
// connection from the flags, numbers, and running until a signal.
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, type NatsAuth } from "../runtime/nats.js";
import { DEFAULT_NATS_URL, type NatsFlags } from "./options.js";

/** A mistake in the command line: exit code 2, with the command's usage below it. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** An empty variable (NATS_USER=) counts as not set, as the nats CLI takes it. */
const given = (v: string | undefined) => (v === "" ? undefined : v);

/** The parsed connection flags as connectNats takes them. */
export function natsAuth(values: Omit<NatsFlags, "nats" | "prefix">): NatsAuth {
  const auth: NatsAuth = {
    creds: given(values.creds),
    nkey: given(values.nkey),
    user: given(values.user),
    password: given(values.password),
    token: given(values.token),
    tlsCa: given(values.tlsCa),
    tlsCert: given(values.tlsCert),
    tlsKey: given(values.tlsKey),
    inboxPrefix: given(values.inboxPrefix),
  };
  if (auth.password !== undefined && auth.user === undefined) throw new UsageError("--password needs --user (or NATS_USER)");
  if ((auth.tlsCert === undefined) !== (auth.tlsKey === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
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
export function connectFromFlags(values: NatsFlags, name: string, opts: { noAsyncTraces?: boolean } = {}): Promise<NatsConnection> {
  return connectNats(given(values.nats) ?? DEFAULT_NATS_URL, name, { ...opts, auth: natsAuth(values) });
}

/** A non-negative integer option, with the option's name in the error. */
export function intArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

export function required(value: string | undefined, name: string): string {
  if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
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
