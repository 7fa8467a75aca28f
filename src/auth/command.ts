// `rbus auth init` and `rbus tls init`: credentials for every process of a
// cluster described by cluster.json, and a local CA for TLS.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "../cli/args.js";
import { table } from "../cli/table.js";
import { loadClusterConfig, type ClusterConfig } from "../cluster/config.js";
import { authClusterOf, authInit, credentialFlags, displayPath, openAuth } from "./init.js";
import { includedAccounts } from "./nats-conf.js";
import { tlsInit } from "./tls.js";

const say = (line: string) => process.stdout.write(line + "\n");

export interface AuthInitFlags {
  config: string;
  out?: string;
  consumerGroup?: string[];
  producer?: string[];
  open: boolean;
  json?: boolean;
}

export async function authCommand(values: AuthInitFlags): Promise<void> {
  const config = loadClusterConfig(values.config);
  const dir = values.out ?? defaultAuthDir(config);
  if (values.open) {
    const { accountsFile } = openAuth(dir, values.config);
    say(`${displayPath(accountsFile)}: OPEN — no users; anyone on the bus can do anything.`);
    return;
  }
  const cluster = authClusterOf(config, { consumerGroups: values.consumerGroup ?? [], producers: values.producer ?? [] });
  let result;
  try {
    result = authInit(cluster, dir, values.config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.json) return void say(JSON.stringify({ accountsFile: result.accountsFile, changed: result.changed, users: result.users }, null, 2));
  say(`${displayPath(result.accountsFile)} ${result.changed ? "written" : "unchanged"}: ${result.users.length} users in account RBUS, sys in SYS.`);
  say(`nats.conf includes it; restart nats-server (or send it SIGHUP) after a change.\n`);
  say(table(["USER", "ROLE", "GIVE IT"], result.users.map((u) => [u.name, u.role, credentialFlags({ ...u, seedFile: displayPath(u.seedFile) }).join(" ")])));
  const admin = result.users.find((u) => u.role === "admin")!;
  say(`\nfor rbus commands:  export NATS_NKEY=${displayPath(admin.seedFile)} NATS_INBOX_PREFIX=${admin.inboxPrefix}`);
  say(`for the nats CLI:   nats --nkey ${displayPath(admin.seedFile)} --inbox-prefix ${admin.inboxPrefix} …`);
  say(`Seed files are secrets (mode 0600): give each process only its own.`);
}

/** Where nats.conf looks for the accounts file (so run-cluster finds these users), else <dataDir>/auth. */
function defaultAuthDir(config: ClusterConfig): string {
  const included = existsSync(config.nats.config) ? includedAccounts(config.nats.config) : undefined;
  return included ? dirname(included) : join(config.dataDir, "auth");
}

export async function tlsCommand(values: { config: string; out?: string; json?: boolean }): Promise<void> {
  const dir = values.out ?? join(loadClusterConfig(values.config).dataDir, "tls");
  const { files, made } = tlsInit(dir);
  if (values.json) return void say(JSON.stringify({ dir, made, files }, null, 2));
  say(`${displayPath(dir)}: ${made ? "certificates written" : "certificates already there (delete a file to make it again)"}`);
  say(table(["FILE", "WHAT"], [
    [displayPath(files.ca), "the local CA: clients trust it (--tls-ca, NATS_CA)"],
    [displayPath(files.serverCert), "nats-server's certificate for 127.0.0.1 and localhost (tls.cert_file)"],
    [displayPath(files.serverKey), "its key (tls.key_file)"],
    [displayPath(files.clientCert), "a client certificate, for verify: true (--tls-cert, NATS_CERT)"],
    [displayPath(files.clientKey), "its key (--tls-key, NATS_KEY)"],
  ]));
  say(`\nUncomment the tls blocks in nats.conf, then connect with --tls-ca ${displayPath(files.ca)}`);
}
