// The local cluster `make run-cluster` starts, read from cluster.json.
// Timings there are shorter than RocketMQ's defaults so that the tour shows
// a dead broker in seconds rather than minutes.
import { readFileSync } from "node:fs";
import { isSubjectToken } from "../protocol/index.js";
import { UsageError } from "../cli/args.js";
import { replicationArgs, type ReplicationSettings } from "../cli/replication-args.js";

export interface ClusterConfig {
  prefix: string;
  nats: { config: string; url: string; monitor: string; websocket: string };
  dataDir: string;
  clusterName: string;
  nameServers: string[];
  groups: Array<{ name: string; replicas: number }>;
  broker: {
    heartbeatIntervalMs: number;
    autoCreateTopic: boolean;
    /** Every group's replication settings (absent: rbus broker's defaults). */
    failover?: ReplicationSettings["failover"];
    ack?: ReplicationSettings["ack"];
    electionTimeoutMs?: number;
  };
  nameServer: { scanIntervalMs: number; suspectAfterMs: number; deadAfterMs: number; forgetAfterMs: number };
  /** The consumer groups `rbus auth init` makes a user for (absent: DEFAULT_CONSUMER_GROUPS). */
  consumerGroups?: string[];
  /** The producer users `rbus auth init` makes (absent: one named "producer"). */
  producers?: string[];
  /** Where run-cluster's dashboard listens (absent: 127.0.0.1:8090; port 0: any free port). */
  dashboard?: { port?: number; host?: string };
}

/** The tour's consumer group (`rbus consume --group billing`). */
export const DEFAULT_CONSUMER_GROUPS = ["billing"];
export const DEFAULT_PRODUCERS = ["producer"];

export function loadClusterConfig(file: string): ClusterConfig {
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read cluster config ${file}: ${(err as Error).message}`);
  }
  let config: ClusterConfig;
  try {
    config = JSON.parse(raw) as ClusterConfig;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  checkConfig(config, file);
  return config;
}

function checkConfig(c: ClusterConfig, file: string): void {
  const fail = (what: string) => {
    throw new Error(`${file}: ${what}`);
  };
  if (!Array.isArray(c.nameServers) || c.nameServers.length === 0) fail(`"nameServers" must list at least one id`);
  for (const id of c.nameServers) if (!isSubjectToken(id)) fail(`NameServer id "${id}" must be letters, digits, '-' or '_'`);
  if (!Array.isArray(c.groups) || c.groups.length === 0) fail(`"groups" must list at least one broker group`);
  for (const g of c.groups) {
    if (!isSubjectToken(g.name)) fail(`group name "${g.name}" must be letters, digits, '-' or '_'`);
    if (!Number.isInteger(g.replicas) || g.replicas < 1) fail(`group "${g.name}" needs "replicas" ≥ 1`);
    // The flags run-cluster will give the group's replicas, checked as rbus broker checks them.
    try {
      replicationArgs(replicationFlags(c, g.replicas - 1, g.replicas));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      fail(`group "${g.name}": ${err.message.replace(/--([a-z-]+)/g, (_, f: string) => configKey[f] ?? `--${f}`)}`);
    }
  }
  for (const key of ["consumerGroups", "producers"] as const) {
    const names = c[key];
    if (names === undefined) continue;
    if (!Array.isArray(names)) fail(`"${key}" must be a list of names`);
    for (const n of names) if (!isSubjectToken(n)) fail(`${key} name "${n}" must be letters, digits, '-' or '_'`);
  }
  if (c.dashboard !== undefined) {
    const { port, host } = c.dashboard;
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) fail(`dashboard.port must be a port number (0: any free one), got ${JSON.stringify(port)}`);
    if (host !== undefined && (typeof host !== "string" || host === "")) fail(`dashboard.host must be a host name or address`);
  }
  const ns = c.nameServer;
  if (!(ns.suspectAfterMs < ns.deadAfterMs)) fail(`nameServer.suspectAfterMs must be below deadAfterMs`);
}

const configKey: Record<string, string> = {
  replicas: `"replicas"`,
  failover: `broker.failover`,
  ack: `broker.ack`,
  "election-timeout": `broker.electionTimeoutMs`,
};

/** rbus broker's replication flags for one replica of a group in this config. */
export function replicationFlags(c: ClusterConfig, replica: number, replicas: number): Record<string, string> {
  const flags: Record<string, string> = { replica: `${replica}`, replicas: `${replicas}` };
  if (c.broker.failover !== undefined) flags.failover = c.broker.failover;
  if (c.broker.ack !== undefined) flags.ack = c.broker.ack;
  // Nobody votes under manual failover: rbus broker refuses a timeout there.
  if (c.broker.electionTimeoutMs !== undefined && c.broker.failover !== "manual") flags["election-timeout"] = `${c.broker.electionTimeoutMs}`;
  return flags;
}
