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

/** A master's view of one follower's replication, as of its last fetch. */
export interface FollowerStatus {
  replica: number;
  /** The follower's log end: the offset its last fetch asked for. */
  end: number;
  /** The master's log end minus the follower's. */
  lagBytes: number;
  /** Since the follower's last fetch (ms); -1 if it never fetched. */
  lastFetchAgoMs: number;
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
  /** Replicas in the group (absent: 1, a replica from before replication). */
  replicas?: number;
  /** The replica's commit offset: consumers see records ending at or below it. */
  commitOffset?: number;
  /** The replica's commit-log end (maxPhysicalOffset). */
  end?: number;
  /** The master this replica follows (itself on a master), -1 if none is known. */
  masterReplica?: number;
  /** On a master: each follower's replication. */
  followers?: FollowerStatus[];
}

/**
 * A registration as it travels: the replica's state, its process's secret
 * session, and, when the topic table does not fit one message, which page
 * of it this is (every page carries every other field).
 */
export interface RegistrationRequest extends BrokerRegistration {
  session: string;
  /** Numbers the registrations of one session; the pages of one registration share it. */
  seq?: number;
  /** 0-based page of the topic table; absent: the only page. */
  page?: number;
  /** Pages in this registration (absent: 1). */
  pages?: number;
}

/** What a replica answers on rbus.broker.<g>.<r>.identity: who it is, never its session. */
export interface BrokerIdentity {
  group: string;
  replica: number;
  /** First 16 hex characters of sha256(session). */
  fingerprint: string;
  startedAt: number;
}

export interface RegisterAck {
  nameServer: string;
  liveness: Liveness;
}

export interface UnregisterRequest {
  group: string;
  replica: number;
  /** The session the replica registered with: nobody else may unregister it. */
  session: string;
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
  /** As the route sees it: a replica claiming master at a lower term than another's claim is a slave. */
  role: Role;
  term: number;
  liveness: Liveness;
  address: string;
  /** Replicated commit offset, when the replica reports one. */
  commitOffset?: number;
  /** A slave's distance behind its group's master in bytes, when known. */
  lagBytes?: number;
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
  /** As routes see it (see ReplicaRoute.role); `claimedRole` is what the replica itself registered. */
  role: Role;
  claimedRole?: Role;
  term: number;
  address: string;
  liveness: Liveness;
  registeredAt: number;
  lastHeartbeatAt: number;
  topics: number;
  /** The verified session's fingerprint (first 16 hex of its sha256). */
  fingerprint?: string;
  replicas?: number;
  commitOffset?: number;
  end?: number;
  masterReplica?: number;
  /** A slave's distance behind the master (bytes), from the master's follower report or the two ends. */
  lagBytes?: number;
  /** A slave: since its last fetch from the master (ms), from the master's report. */
  lastFetchAgoMs?: number;
  /** A master: its followers' replication. */
  followers?: FollowerStatus[];
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
  /** The NameServer's registration limits. */
  limits?: NameServerLimits;
  /** Registrations and unregisters refused since start, by reason. */
  refused?: { forbidden: number; limited: number };
}

/** Defences of a NameServer's broker table (docs/protocol.md, "What a NameServer checks"). */
export interface NameServerLimits {
  /** Broker replicas in the table at most. */
  maxBrokers: number;
  /** Registrations per replica: a token bucket of this many… */
  registrationBurst: number;
  /** …refilled at this rate per second. */
  registrationsPerSecond: number;
  /** Identity probes in flight at once, over all replicas. */
  maxProbes: number;
  probeTimeoutMs: number;
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

/** Why a replica's role changed (the role machine's reasons). */
export type RoleReason = "elected" | "stepped-down" | "higher-term" | "lost-quorum" | "started" | "transfer" | "follow";

/**
 * Published on rbus.events.role.<group> by a broker replica: every role
 * change, every truncation of its log, and every election it runs.
 */
export type RoleEvent = {
  group: string;
  replica: number;
  term: number;
  /** ms since the epoch */
  at: number;
} & (
  | { type: "role"; role: Role; master: number | null; reason: RoleReason; commit: number; end: number }
  /** The log was cut from `from` back to `to`: a tail that was never committed in the new master's term. */
  | { type: "truncated"; from: number; to: number }
  /** A campaign for `term`: started, won or lost, with the votes it got. */
  | { type: "election"; outcome: "started" | "won" | "lost"; preVote: boolean; votes: number; needed: number }
);
