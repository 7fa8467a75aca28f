// Wire types of the control plane: registration, routes, cluster data.
// All travel as JSON so that any NATS client can read and write them.

export const Liveness = { alive: "alive", suspect: "suspect", dead: "dead" } as const;
export type Liveness = (typeof Liveness)[keyof typeof Liveness];

export const Role = { master: "master", slave: "slave", candidate: "candidate" } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Topic permissions, as RocketMQ's PERM_READ / PERM_WRITE, spelled out. */
export const Perm = { rw: "rw", r: "r", w: "w", none: "none" } as const;
export type Perm = (typeof Perm)[keyof typeof Perm];

/**
 * RocketMQ's template topic (TBW102): a broker that auto-creates topics
 * registers it, and a producer uses its route for a topic nobody has yet.
 */
export const AUTO_CREATE_TOPIC = "TBW102";
/** Queues per broker group of a topic created without a count (RocketMQ: 4). */
export const DEFAULT_QUEUES = 4;

export interface TopicConfig {
  topic: string;
  readQueues: number;
  writeQueues: number;
  perm: Perm;
}

/** What a broker replica sends to every NameServer on start and every heartbeat. */
export interface BrokerRegistration {
  cluster: string;
  group: string;
  replica: number;
  role: Role;
  /** Replication term of the role; 0 before any election. */
  term: number;
  /** Subject prefix the replica serves on: rbus.broker.<group>.<replica>. */
  address: string;
  heartbeatIntervalMs: number;
  topics: TopicConfig[];
  /** Wall-clock start time of the replica process, ms since the epoch. */
  startedAt: number;
}

export interface RegisterAck {
  nameServer: string;
  liveness: Liveness;
}

export interface UnregisterRequest {
  group: string;
  replica: number;
}

export interface UnregisterAck {
  nameServer: string;
  removed: boolean;
}

export interface RouteRequest {
  topic: string;
}

/** How many queues a broker group serves for a topic. */
export interface QueueData {
  group: string;
  readQueues: number;
  writeQueues: number;
  perm: Perm;
}

export interface ReplicaRoute {
  replica: number;
  role: Role;
  term: number;
  liveness: Liveness;
  address: string;
}

export interface GroupRoute {
  cluster: string;
  group: string;
  replicas: ReplicaRoute[];
}

/** RocketMQ's TopicRouteData: the queues per group and where each group lives. */
export interface RouteData {
  topic: string;
  nameServer: string;
  queues: QueueData[];
  groups: GroupRoute[];
}

export interface BrokerInfo {
  cluster: string;
  group: string;
  replica: number;
  role: Role;
  term: number;
  address: string;
  liveness: Liveness;
  registeredAt: number;
  lastHeartbeatAt: number;
  topics: number;
}

export interface ClusterInfo {
  nameServer: string;
  brokers: BrokerInfo[];
}

export interface NameServerInfo {
  nameServer: string;
  startedAt: number;
  /** Broker replicas in the table, and how many are in each liveness state. */
  brokers: number;
  liveness: Record<Liveness, number>;
  scanIntervalMs: number;
  suspectAfterMs: number;
  deadAfterMs: number;
  /** When this NameServer last heard each replica ("broker-a.0" → ms since the epoch). */
  lastHeartbeatAt?: Record<string, number>;
}

/** Published on rbus.events.liveness.<group>.<replica> by every NameServer. */
export interface LivenessEvent {
  type: "liveness";
  nameServer: string;
  group: string;
  replica: number;
  from: Liveness | "unknown";
  to: Liveness | "removed";
  at: number;
  silentMs: number;
}

/** Published on rbus.events.store.<group>.<replica> when a broker's store opens with something to report. */
export type StoreEvent = {
  group: string;
  replica: number;
  at: number;
} & (
  | { type: "damaged-range"; from: number; to: number; bytes: number }
  | { type: "torn-tail"; from: number; to: number; bytes: number; truncatedBytes: number; afterCrash: boolean }
  | { type: "offset-clamped"; consumerGroup: string; topic: string; queueId: number; from: number; to: number }
  /** Queue offsets [from, to) whose messages are gone: kept as holes (reads report them), never reused. */
  | { type: "offsets-kept"; topic: string; queueId: number; from: number; to: number }
  /** A consume queue found damaged and rebuilt from the commit log. */
  | { type: "queue-rebuilt"; topic: string; queueId: number; from: number; to: number; entries: number }
);
