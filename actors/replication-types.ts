// The replication API a broker (and the in-process harness) uses: options,
// events for transcripts and rbus.events.role.<g>, and the status a
// replica reports.
import type { createActor } from "xstate";
import type { Role, RoleReason } from "../src/protocol/index.js";
import type { MessageStore } from "../src/store/index.js";
import type { Logger } from "../src/runtime/log.js";
import type { Clock, GroupTransport } from "./group-transport.js";
import type { CommitOutcome } from "./replication-master.js";
import type { ConfigSource } from "./replication-config.js";

export type Failover = "auto" | "manual";
export type AckLevel = "quorum" | "leader";

export interface ReplicationOptions {
  group: string;
  replica: number;
  replicas: number;
  failover: Failover;
  ack: AckLevel;
  electionTimeoutMs: number;
  store: MessageStore;
  transport: GroupTransport;
  clock: Clock;
  random?: () => number;
  log: Logger;
  /** Topic configs and consumer offsets, copied from master to slaves. */
  config?: ConfigSource;
  /** The store fsyncs before each put resolves: count only what is on this replica's disk toward the majority. */
  syncFlush?: boolean;
  /** Largest chunk of log one fetch carries (default 4 MiB, at most what one message on the bus may carry). */
  fetchMaxBytes?: number;
  /** An inspector for the role machine (rbus.inspect.<node>). */
  inspect?: Parameters<typeof createActor>[1] extends infer O ? (O extends { inspect?: infer I } ? I : never) : never;
}

export type ReplicationEvent =
  | { type: "role"; role: Role; term: number; master: number | null; reason: RoleReason; at: number }
  | { type: "truncated"; from: number; to: number; term: number; at: number }
  | { type: "election"; outcome: "started" | "won"; term: number; preVote: boolean; transfer: boolean; votes: number; at: number };

export interface ReplicationStatus {
  role: Role;
  term: number;
  master: number | null;
  failover: Failover;
  ack: AckLevel;
  replicas: number;
  commit: number;
  end: number;
  /** On a slave: how far its log is behind the master's, by the master's last answer. */
  lagBytes: number;
  followers: Array<{ replica: number; end: number; lagBytes: number; lastFetchAgoMs: number }>;
}

export interface Replication {
  role(): Role;
  term(): number;
  master(): number | null;
  /** Whether sends may be taken now (master, and not handing over). */
  writable(): boolean;
  waitCommitted(end: number, timeoutMs: number): Promise<CommitOutcome>;
  status(): ReplicationStatus;
  on(listener: (e: ReplicationEvent) => void): () => void;
  transferTo(replica: number | undefined, timeoutMs: number): Promise<{ ok: boolean; master: number | null; term: number }>;
  /** The slave's lag behind its master in bytes (0 on the master). */
  lagBytes(): number;
  stop(): Promise<void>;
}

