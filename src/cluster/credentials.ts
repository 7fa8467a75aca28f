// Which credentials run-cluster gives each node: the users of the accounts
// file its nats.conf includes, written as `rbus auth init` writes it (seeds
// kept, client users added with --consumer-group kept); none under --no-auth.
import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { isOpenAccounts } from "../auth/accounts-conf.js";
import { authClusterOf, authInit, credentialFlags, openAuth, type Credentials } from "../auth/init.js";
import { includedAccounts } from "../auth/nats-conf.js";
import type { NatsAuth } from "../runtime/nats.js";
import type { ClusterConfig } from "./config.js";

export interface ClusterCredentials {
  /** Why the bus is open, when it is: anyone on it may do anything. */
  open?: string;
  accountsFile?: string;
  /** Whether the accounts file changed now (new, or rights this version adds). */
  generated: boolean;
  users: Credentials[];
}

export function clusterCredentials(c: ClusterConfig, configFile: string, opts: { noAuth: boolean }): ClusterCredentials {
  const accountsFile = includedAccounts(c.nats.config);
  if (!accountsFile) return { open: `${c.nats.config} includes no accounts.conf`, generated: false, users: [] };
  const dir = dirname(accountsFile);
  if (opts.noAuth) {
    openAuth(dir, configFile);
    return { open: "--no-auth", accountsFile, generated: false, users: [] };
  }
  // Written again at every start, from the seeds on disk and this version's role rules: an accounts file
  // from an older rbus would lack rights its nodes now need. Client users added with --consumer-group or
  // --producer are kept. run-cluster starts nats-server after this, so no reload is needed.
  const before = existsSync(accountsFile) ? readFileSync(accountsFile, "utf8") : "";
  const extra = before && !isOpenAccounts(before) ? clientUsersIn(before) : {};
  const result = authInit(authClusterOf(c, extra), dir, configFile);
  return { accountsFile, generated: result.changed, users: result.users };
}

/** The consumer groups and producers an accounts file has users for (its `# <user>: <role>` lines). */
export function clientUsersIn(accounts: string): { consumerGroups: string[]; producers: string[] } {
  const consumerGroups: string[] = [];
  const producers: string[] = [];
  for (const m of accounts.matchAll(/^\s*# ([A-Za-z0-9_-]+): (consumer|producer)\s*$/gm)) {
    if (m[2] === "producer") producers.push(m[1]!);
    else if (m[1]!.startsWith("consumer-")) consumerGroups.push(m[1]!.slice("consumer-".length));
  }
  return { consumerGroups, producers };
}

function find(creds: ClusterCredentials, user: string): Credentials {
  const u = creds.users.find((x) => x.name === user);
  if (!u) throw new Error(`no user ${user} in ${creds.accountsFile}: run rbus auth init`);
  return u;
}

/** The flags a node's command line gets to connect as `user` (none on an open bus). */
export const nodeFlags = (creds: ClusterCredentials, user: string): string[] => (creds.open ? [] : credentialFlags(find(creds, user)));

/** How the launcher connects as `user`; TLS files from NATS_CA/NATS_CERT/NATS_KEY, which its nodes inherit too. */
export function natsAuthOf(creds: ClusterCredentials, user: string): NatsAuth {
  const env = (name: string) => (process.env[name] ? process.env[name] : undefined);
  const tls = Object.fromEntries(Object.entries({ tlsCa: env("NATS_CA"), tlsCert: env("NATS_CERT"), tlsKey: env("NATS_KEY") }).filter(([, v]) => v));
  if (creds.open) return tls;
  const u = find(creds, user);
  return { nkey: u.seedFile, inboxPrefix: u.inboxPrefix, ...tls };
}
