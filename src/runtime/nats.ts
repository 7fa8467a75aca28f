import { readFileSync } from "node:fs";
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type ConnectionOptions,
  type NatsConnection,
} from "@nats-io/transport-node";

/**
 * How a process proves who it is to NATS, as the `nats` CLI takes it: a
 * creds file (operator mode), an nkey seed file (what `rbus auth init`
 * writes), a user and password, or a token; TLS files; and the inbox prefix
 * its user may subscribe to (every Rocketbus user reads replies only under
 * `_INBOX.<user>`, so no one reads another's replies).
 */
export interface NatsAuth {
  creds?: string;
  nkey?: string;
  user?: string;
  password?: string;
  token?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  inboxPrefix?: string;
}

export interface ConnectOptions {
  noAsyncTraces?: boolean;
  auth?: NatsAuth;
}

/**
 * A connection that never gives up reconnecting: a node outlives a NATS
 * restart and re-registers when the connection comes back.
 */
export async function connectNats(servers: string, name: string, opts: ConnectOptions = {}): Promise<NatsConnection> {
  const auth = opts.auth ?? {};
  let options: ConnectionOptions;
  try {
    options = {
      servers: servers.split(","),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // A TLS server that wants a client certificate never finishes the handshake without one: fail in seconds, not 20.
      timeout: CONNECT_TIMEOUT_MS,
      // Async stack traces cost an Error per request: worth dropping on a hot path.
      noAsyncTraces: opts.noAsyncTraces ?? false,
      // Payloads up to the server's max_payload; nats.conf raises it to 8 MiB.
      ...credentials(auth),
    };
  } catch (err) {
    throw new Error(`cannot read NATS credentials: ${(err as Error).message}`);
  }
  try {
    return await connect(options);
  } catch (err) {
    throw new Error(connectFailure(servers, err, auth));
  }
}

const CONNECT_TIMEOUT_MS = 5000;

/**
 * What to do about a permissions violation NATS reported, or undefined when
 * `message` is not one: the reply inbox the user may not read (the usual
 * mistake: --nkey without --inbox-prefix), or a subject its role may not use.
 */
export function permissionHint(message: string): string | undefined {
  const m = /Permissions Violation for (Subscription|Publish) to "?([^"\s]+)"?/i.exec(message);
  if (!m) return undefined;
  const [, kind, subject] = m;
  if (kind!.toLowerCase() === "subscription" && subject!.startsWith("_INBOX")) {
    return `this user may not read replies on ${subject}: give --inbox-prefix _INBOX.<user> (or NATS_INBOX_PREFIX), the inbox its permissions allow; \`rbus auth init\` prints each user's`;
  }
  const verb = kind!.toLowerCase() === "publish" ? "publish to" : "subscribe to";
  return `this user may not ${verb} ${subject}: docs/security.md lists what each role may do; use a user whose role does (admin for topic changes, offset resets and failover)`;
}

function credentials(auth: NatsAuth): Partial<ConnectionOptions> {
  const out: Partial<ConnectionOptions> = {};
  const authenticators: Authenticator[] = [];
  if (auth.creds) authenticators.push(credsAuthenticator(readFileSync(auth.creds)));
  if (auth.nkey) authenticators.push(nkeyAuthenticator(new TextEncoder().encode(readSeed(auth.nkey))));
  if (authenticators.length > 0) out.authenticator = authenticators;
  if (auth.user !== undefined) {
    out.user = auth.user;
    out.pass = auth.password ?? "";
  }
  if (auth.token !== undefined) out.token = auth.token;
  if (auth.tlsCa || auth.tlsCert || auth.tlsKey) {
    out.tls = {
      ...(auth.tlsCa ? { caFile: auth.tlsCa } : {}),
      ...(auth.tlsCert ? { certFile: auth.tlsCert } : {}),
      ...(auth.tlsKey ? { keyFile: auth.tlsKey } : {}),
    };
  }
  if (auth.inboxPrefix) out.inboxPrefix = auth.inboxPrefix;
  return out;
}

/** The seed from an nkey file: the first line that is one (the nats CLI's files may carry comments). */
function readSeed(file: string): string {
  const seed = readFileSync(file, "utf8").split(/\r?\n/).map((l) => l.trim()).find((l) => /^S[A-Z2-7]{50,}$/.test(l));
  if (!seed) throw new Error(`${file} holds no nkey seed (a line starting with "S", as \`rbus auth init\` writes)`);
  return seed;
}

/** What went wrong at connect, and what to give instead. */
function connectFailure(servers: string, err: unknown, auth: NatsAuth): string {
  const reason = err instanceof Error ? err.message : String(err);
  if (/authorization|authentication/i.test(reason)) {
    const given = Object.entries(auth).filter(([k, v]) => v !== undefined && k !== "inboxPrefix").map(([k]) => k);
    return `NATS at ${servers} refused ${given.length > 0 ? `the credentials given (${given.join(", ")})` : "a connection without credentials"} (${reason}). ` +
      "Give --nkey <seed file> (or --creds, --user/--password, --token), or set NATS_NKEY, NATS_CREDS, NATS_USER/NATS_PASSWORD or NATS_TOKEN; " +
      "with `make run-cluster`: export NATS_NKEY=data/cluster/auth/admin.nk NATS_INBOX_PREFIX=_INBOX.admin";
  }
  if (auth.tlsCa && !auth.tlsCert && /timeout/i.test(reason)) {
    return `NATS at ${servers} did not finish the TLS handshake in ${CONNECT_TIMEOUT_MS / 1000} s (${reason}): it probably wants a client certificate. Give --tls-cert and --tls-key (or NATS_CERT, NATS_KEY); \`rbus tls init\` writes one.`;
  }
  if (/tls|certificate|self.signed/i.test(reason)) {
    return `TLS to NATS at ${servers} failed (${reason}). Give --tls-ca <ca.pem> (and --tls-cert/--tls-key if the server asks for a client certificate), or set NATS_CA, NATS_CERT, NATS_KEY; \`rbus tls init\` writes a local CA.`;
  }
  return `cannot connect to NATS at ${servers} (${reason}); is nats-server running? Try: make run-cluster`;
}
