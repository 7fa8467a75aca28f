// Which credentials run-cluster gives each node: the users of the accounts
// file its nats.conf includes, made by `rbus auth init` when that file is
// missing (or open from an earlier --no-auth run), else taken as they are
// (it may hold users added with --consumer-group); none under --no-auth.
import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { isOpenAccounts } from "../auth/accounts-conf.js";
import { authClusterOf, authInit, credentialFlags, existingCredentials, openAuth, type Credentials } from "../auth/init.js";
import { includedAccounts } from "../auth/nats-conf.js";
import type { NatsAuth } from "../runtime/nats.js";
import type { ClusterConfig } from "./config.js";

export interface ClusterCredentials {
  /** Why the bus is open, when it is: anyone on it may do anything. */
  open?: string;
  accountsFile?: string;
  /** Whether `rbus auth init` ran now. */
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
  const cluster = authClusterOf(c);
  if (!existsSync(accountsFile) || isOpenAccounts(readFileSync(accountsFile, "utf8"))) {
    return { accountsFile, generated: true, users: authInit(cluster, dir, configFile).users };
  }
  return { accountsFile, generated: false, users: existingCredentials(cluster, dir) };
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
