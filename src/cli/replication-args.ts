// The replication flags of `rbus broker`: which replica of how many, how a
// master is chosen and when a send is acknowledged. Checked together, so
// that a mistake is reported with what to do instead of failing later.
import type { BrokerOptions } from "../../actors/broker.js";
import { UsageError } from "./args.js";

export type ReplicationSettings = NonNullable<BrokerOptions["replication"]>;

export interface ReplicationFlags {
  replica?: string | undefined;
  replicas?: string | undefined;
  failover?: string | undefined;
  ack?: string | undefined;
  "election-timeout"?: string | undefined;
  "read-from-slave-bytes"?: string | undefined;
}

/** The role machine randomizes each timeout in [base, 2·base): 3–6 s keeps elections rare on a busy host. */
export const DEFAULT_ELECTION_TIMEOUT_MS = 3000;
export const MIN_ELECTION_TIMEOUT_MS = 100;
export const MAX_ELECTION_TIMEOUT_MS = 60_000;
/** Every send waits for a majority: beyond 9 replicas a group only gets slower. */
export const MAX_REPLICAS = 9;


export function replicationArgs(v: ReplicationFlags): { replica: number; replication: ReplicationSettings } {
  const replicas = integer(v.replicas ?? "1", "replicas", 1, MAX_REPLICAS, "a group of 3 survives the loss of one replica, 5 of two");
  const replica = integer(v.replica ?? "0", "replica", 0, Number.MAX_SAFE_INTEGER, "replica ids start at 0");
  if (replica >= replicas) {
    throw new UsageError(
      `--replica ${replica} is not in a group of --replicas ${replicas}: ids are 0..${replicas - 1}; raise --replicas or pick another id`,
    );
  }
  const failover = oneOf(v.failover ?? "auto", "failover", ["auto", "manual"] as const,
    "auto elects a new master when one dies; manual keeps replica 0 as master");
  // Under manual failover the default is RocketMQ's ASYNC_MASTER; --ack quorum makes it SYNC_MASTER.
  const ack = oneOf(v.ack ?? (failover === "manual" ? "leader" : "quorum"), "ack", ["quorum", "leader"] as const,
    "quorum answers a send once a majority holds it, leader once the master has it");
  if (v["election-timeout"] !== undefined && failover === "manual") {
    throw new UsageError(`--election-timeout has no effect with --failover manual (replica 0 stays master, nobody votes): drop it, or use --failover auto`);
  }
  const electionTimeoutMs = integer(v["election-timeout"] ?? `${DEFAULT_ELECTION_TIMEOUT_MS}`, "election-timeout",
    MIN_ELECTION_TIMEOUT_MS, MAX_ELECTION_TIMEOUT_MS, "milliseconds of silence from the master before a slave campaigns");
  const replication: ReplicationSettings = { replicas, failover, ack, electionTimeoutMs };
  if (v["read-from-slave-bytes"] !== undefined) {
    if (replicas === 1) throw new UsageError(`--read-from-slave-bytes needs slaves to send readers to: use it with --replicas 2 or more`);
    replication.readFromSlaveBytes = integer(v["read-from-slave-bytes"], "read-from-slave-bytes", 1, Number.MAX_SAFE_INTEGER,
      "how far (in commit-log bytes) a consumer lags the log's end before it is sent to a slave");
  }
  return { replica, replication };
}

function integer(value: string, name: string, min: number, max: number, why: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new UsageError(`--${name} must be ${range} (${why}), got "${value}"`);
  }
  return n;
}

function oneOf<const T extends readonly string[]>(value: string, name: string, allowed: T, why: string): T[number] {
  if (!allowed.includes(value)) throw new UsageError(`--${name} must be ${allowed.join(" or ")} (${why}), got "${value}"`);
  return value as T[number];
}
