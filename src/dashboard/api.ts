// What the dashboard server answers the page: the JSON of its /api routes
// and the events of its /api/stream (server-sent events). The page is
// bundled from src/dashboard/web/ against these types, so the two sides
// cannot disagree on a field.
import type { TransitionKind, StateGraph } from "../machines-doc/graph.js";
import type { QueueLag } from "../protocol/metrics.js";
import type { BrokerInfo, Liveness, NameServerInfo, Role, WireMessage } from "../protocol/index.js";
import type { InspectEvent } from "../runtime/inspect.js";

/** GET /api/machines: every machine of the project, laid out once from its definition. */
export interface MachinesReply {
  machines: MachineLayout[];
}

/** One machine drawn as a statechart; coordinates are absolute, in px, origin top left. */
export interface MachineLayout {
  /** The machine's id, as InspectEvent.machine carries it ("liveness", "role", …). */
  machine: string;
  /** Its file in machines/ ("broker-registration"). */
  name: string;
  /** The first sentence of the file's header comment. */
  purpose: string;
  width: number;
  height: number;
  /** Every state but the root, parents before their children. */
  states: LaidState[];
  edges: LaidEdge[];
}

export interface LaidState {
  /** Path from the root joined by "." ("candidate.preVote"), as activeStateIds() gives for a state value. */
  id: string;
  key: string;
  /** The parent's id; "" for a top-level state. */
  parent: string;
  type: StateGraph["type"];
  /** The initial child of its parent. */
  initial: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
  /** How many self transitions the state lists inside its box, below its name (their edges' labels are there). */
  loops?: number;
}

export interface LaidEdge {
  from: string;
  /** The target state's id; the source's own id for a self transition. */
  to: string;
  kind: TransitionKind;
  /** What the arrow says: the event, "after 30s", "always", with its guard in brackets. */
  label: string;
  /** The polyline from source to target, start and bend points and end. */
  points: Array<[number, number]>;
  labelAt: { x: number; y: number; width: number; height: number };
}

export type NodeKind = "nameserver" | "broker" | "consumer" | "producer";

/** A process the dashboard knows of: from the cluster table, NameServer info, or its inspect stream. */
export interface NodeView {
  /** Its inspect name: "ns-1", "broker-a-0", or a client id. */
  name: string;
  kind: NodeKind;
  group?: string;
  replica?: number;
  consumerGroup?: string;
  /** Last heard (ms since the epoch): an answer, an inspect event. */
  lastSeen: number;
}

/** A transition as the dashboard keeps it: the actor's event, and the state it was known in before. */
export type TransitionEvent = InspectEvent & {
  /** The actor's state value before this event, when the dashboard knew it (a rbus.machines answer, an earlier event). */
  from?: unknown;
};

/** One broker replica as the cluster table and its status say. */
export interface BrokerRow {
  node: string;
  group: string;
  replica: number;
  role: Role;
  term: number;
  /** As each NameServer sees it (from its liveness actors), by NameServer id. */
  liveness: Record<string, Liveness>;
  /** A slave's distance behind its master, in bytes. */
  lagBytes?: number;
  commitOffset?: number;
  end?: number;
  info: BrokerInfo;
}

export interface TopicRow {
  topic: string;
  /** Where its queues live: one entry per broker group. */
  placements: Array<{ group: string; readQueues: number; writeQueues: number; perm: string }>;
}

export interface ConsumerGroupRow {
  consumerGroup: string;
  members: Array<{ clientId: string; assigned: string[] }>;
  /** Lag per queue, from the masters' metrics; `group` names the broker group whose queue it is (queue ids repeat across groups). */
  lag: Array<QueueLag & { group?: string }>;
}

export interface ClusterView {
  at: number;
  nameServers: NameServerInfo[];
  brokers: BrokerRow[];
  topics: TopicRow[];
  consumerGroups: ConsumerGroupRow[];
}

/** A message of rbus.events.>, live or from the events stream's history. */
export interface TimelineEvent {
  subject: string;
  /** The subject's kind token: liveness, role, store, consumers, reset, dlq, transaction. */
  kind: string;
  at: number;
  data: unknown;
}

/** The counters the plots need, as of one poll of every node's metrics. */
export interface Sample {
  at: number;
  /** By broker node: totals since each process started (the page plots their rates). */
  brokers: Record<string, { put: number; putBytes: number; pull: number; pullBytes: number; role: string; lagBytes?: number }>;
  /** By consumer group: its lag summed over its queues, in messages. */
  groupLag: Record<string, number>;
}

/** GET /api/snapshot: everything the page draws; /api/stream keeps it current. */
export interface DashboardSnapshot {
  at: number;
  prefix: string;
  nodes: NodeView[];
  /** The latest event of every actor known, from rbus.machines.<node> and rbus.inspect.>. */
  actors: InspectEvent[];
  /** The last transitions of each node, newest last (at most 50 per node). */
  transitions: Record<string, TransitionEvent[]>;
  cluster: ClusterView;
  /** Newest last, at most 500. */
  events: TimelineEvent[];
  /** The last 10 minutes, oldest first. */
  samples: Sample[];
}

/** GET /api/stream: server-sent events, `event: <type>` with this JSON as data. */
export type StreamEvent =
  | { type: "inspect"; data: InspectEvent }
  | { type: "event"; data: TimelineEvent }
  | { type: "cluster"; data: ClusterView }
  | { type: "nodes"; data: NodeView[] }
  | { type: "sample"; data: Sample };

/** GET /api/message?id=<msgId> or ?topic=<t>&key=<k>; an error is {error: {code, message}} with a 4xx/5xx status. */
export interface MessageReply {
  messages: WireMessage[];
}
export interface ErrorReply {
  error: { code: string; message: string };
}
