// What a node answers on rbus.metrics.<node>: its counters since it started,
// as JSON, the same figures `rbus metrics serve` renders for Prometheus.
// Counters only grow while the process runs (a restart starts them at 0,
// as Prometheus expects of a counter); gauges are read when asked.
import type { MicroEndpointStats } from "./micro.js";

/** Messages and body bytes. */
export interface Volume {
  messages: number;
  bytes: number;
}

/** A consumer group's lag on one queue: the queue's end less the group's committed offset. */
export interface QueueLag {
  consumerGroup: string;
  topic: string;
  queue: number;
  committed: number;
  maxOffset: number;
  lag: number;
}

export interface BrokerMetrics {
  kind: "broker";
  /** The node's name: `<group>-<replica>`, its NATS user and inspect name. */
  node: string;
  cluster: string;
  group: string;
  replica: number;
  role: string;
  term: number;
  /** Epoch ms of this answer and of the process start. */
  at: number;
  startedAt: number;
  /** Stored by send and send.batch: in all and per topic. */
  put: Volume & { requests: number; topics: Record<string, Volume> };
  /** Pull replies: requests answered, messages and reply bytes they carried. */
  pull: Volume & { requests: number };
  commitLog: { bytes: number; minOffset: number; endOffset: number; commitOffset: number; flushedOffset: number; messages: number };
  /** Times this replica's role changed, and elections it started and won. */
  roleChanges: number;
  elections: { started: number; won: number };
  truncations: number;
  /** Every consumer group's lag on every queue it committed (at most `lagLimit` rows; `lagTruncated` when cut). */
  lag: QueueLag[];
  lagTruncated: boolean;
  /** The request counters $SRV.STATS reports, one per API. */
  endpoints: MicroEndpointStats[];
  /** Timer messages: undelivered, delivered by this replica, and the recent deliveries' lateness in ms (docs/timers.md). */
  timers?: { running: boolean; pending: number; delivered: number; lateness: { p50: number; p99: number; max: number; count: number } };
  /** Half messages not settled yet on this master, and how many of them a check is asking about now (docs/transactions.md). */
  transactions?: { pending: number; checking: number };
}

export interface LivenessTransition {
  from: string;
  to: string;
  count: number;
}

export interface NameServerMetrics {
  kind: "nameserver";
  node: string;
  at: number;
  startedAt: number;
  /** Registrations taken into the table (first ones and heartbeats). */
  registrations: number;
  /** Registrations and unregisters refused: not proven to come from the replica, or over a limit. */
  refusals: { forbidden: number; limited: number };
  /** Brokers in the table now, by liveness. */
  brokers: { alive: number; suspect: number; dead: number };
  livenessTransitions: LivenessTransition[];
  endpoints: MicroEndpointStats[];
}

export type NodeMetrics = BrokerMetrics | NameServerMetrics;
