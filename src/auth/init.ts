// What `rbus auth init` does, callable from run-cluster and tests: a seed
// per user and the accounts file nats.conf includes, for one cluster.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { DEFAULT_CONSUMER_GROUPS, DEFAULT_PRODUCERS, type ClusterConfig } from "../cluster/config.js";
import { renderAccounts, renderOpenAccounts } from "./accounts-conf.js";
import { ensureSeeds } from "./seeds.js";
import { clusterUsers, inboxPrefix, permissionsOf, type AuthCluster, type AuthUser, type Permissions } from "./users.js";

export const ACCOUNTS_FILE = "accounts.conf";

export interface Credentials extends AuthUser {
  seedFile: string;
  inboxPrefix: string;
  permissions: Permissions;
}

export interface AuthInitResult {
  accountsFile: string;
  users: Credentials[];
  /** Whether accounts.conf was written (false: it already said the same). */
  changed: boolean;
}

/** cluster.json's names, plus consumer groups and producers named on the command line. */
export function authClusterOf(c: ClusterConfig, extra: { consumerGroups?: string[]; producers?: string[] } = {}): AuthCluster {
  const union = (a: readonly string[], b: readonly string[] = []) => [...new Set([...a, ...b])];
  return {
    prefix: c.prefix,
    nameServers: c.nameServers,
    groups: c.groups,
    consumerGroups: union(c.consumerGroups ?? DEFAULT_CONSUMER_GROUPS, extra.consumerGroups),
    producers: union(c.producers ?? DEFAULT_PRODUCERS, extra.producers),
  };
}

/** Seeds (kept when present) and accounts.conf in `dir`; `source` names the cluster description in the file's header. */
export function authInit(cluster: AuthCluster, dir: string, source: string): AuthInitResult {
  const users = clusterUsers(cluster);
  const keys = ensureSeeds(dir, [...users.map((u) => u.name), "sys"]);
  const creds = users.map((u): Credentials => ({
    ...u,
    seedFile: keys.get(u.name)!.seedFile,
    inboxPrefix: inboxPrefix(u.name),
    permissions: permissionsOf(u, cluster),
  }));
  const text = renderAccounts(
    source,
    creds.map((c) => ({ user: c, publicKey: keys.get(c.name)!.publicKey, permissions: c.permissions })),
    keys.get("sys")!.publicKey,
  );
  const accountsFile = join(dir, ACCOUNTS_FILE);
  return { accountsFile, users: creds, changed: writeIfChanged(accountsFile, text) };
}

/** The `--no-auth` accounts file: no users, an open bus. */
export function openAuth(dir: string, source: string): { accountsFile: string; changed: boolean } {
  ensureSeeds(dir, []);
  const accountsFile = join(dir, ACCOUNTS_FILE);
  return { accountsFile, changed: writeIfChanged(accountsFile, renderOpenAccounts(source)) };
}

function writeIfChanged(file: string, text: string): boolean {
  if (existsSync(file) && readFileSync(file, "utf8") === text) return false;
  writeFileSync(file, text, { mode: 0o600 });
  return true;
}

/** A path as the user should type it: relative to the current folder when under it. */
export const displayPath = (path: string) => (relative(process.cwd(), path).startsWith("..") ? path : relative(process.cwd(), path));

/** The flags a process needs to connect as `user`. */
export const credentialFlags = (c: Pick<Credentials, "seedFile" | "inboxPrefix">) => ["--nkey", c.seedFile, "--inbox-prefix", c.inboxPrefix];
