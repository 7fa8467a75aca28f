// The local cluster `make run-cluster` starts, read from cluster.json.
// Timings there are shorter than RocketMQ's defaults so that the tour shows
// a dead broker in seconds rather than minutes.
import { readFileSync } from "node:fs";
import { isSubjectToken } from "../protocol/index.js";

export interface ClusterConfig {
  prefix: string;
  nats: { config: string; url: string; monitor: string; websocket: string };
  dataDir: string;
  clusterName: string;
  nameServers: string[];
  groups: Array<{ name: string; replicas: number }>;
  broker: { heartbeatIntervalMs: number; autoCreateTopic: boolean };
  nameServer: { scanIntervalMs: number; suspectAfterMs: number; deadAfterMs: number; forgetAfterMs: number };
}

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
  }
  const ns = c.nameServer;
  if (!(ns.suspectAfterMs < ns.deadAfterMs)) fail(`nameServer.suspectAfterMs must be below deadAfterMs`);
}
