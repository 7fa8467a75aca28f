// One poll's answers turned into what the page shows: brokers by group
// with each NameServer's view of their liveness, topics and where their
// queues live, consumer groups with members, assigned queues and lag, and
// the counters the plots draw. Pure: the hub gathers, this arranges.
import type { TopicPlacement } from "../client/admin.js";
import type { BrokerInfo, ClusterInfo, Liveness, NameServerInfo } from "../protocol/index.js";
import type { BrokerMetrics, QueueLag } from "../protocol/metrics.js";
import { dlqTopic } from "../protocol/system-topics.js";
import type { InspectEvent } from "../runtime/inspect.js";
import type { BrokerRow, ClusterView, ConsumerGroupRow, Sample, TopicRow } from "./api.js";

/** What a replica's status says of its consumer groups (bounded by the broker: the first groups and members). */
export interface ReplicaStatus {
  consumerGroups?: Array<{ group: string; count: number; members: string[] }>;
}

export interface ReplicaAnswer {
  info: BrokerInfo;
  status?: ReplicaStatus;
  metrics?: BrokerMetrics;
}

export interface PollResult {
  at: number;
  nameServers: NameServerInfo[];
  cluster?: ClusterInfo;
  replicas: ReplicaAnswer[];
  topics: TopicPlacement[];
}

/** What the hub knows of the actors: the latest event of one, by node and actor id. */
export type ActorLookup = (node: string, actor: string) => InspectEvent | undefined;

export const replicaNode = (b: { group: string; replica: number }) => `${b.group}-${b.replica}`;
/** The subject token a node publishes its inspect events on: a client id's other characters replaced, as the inspector does. */
export const inspectToken = (node: string) => node.replace(/[^A-Za-z0-9_-]/g, "_");

const LIVENESS = new Set<string>(["alive", "suspect", "dead"]);

/** Each NameServer's view of a replica: its liveness actor's state, else the broker table's word. */
function livenessOf(b: BrokerInfo, poll: PollResult, actor: ActorLookup): Record<string, Liveness> {
  const out: Record<string, Liveness> = {};
  for (const ns of poll.nameServers) {
    const state = actor(ns.nameServer, `liveness-${b.group}.${b.replica}`)?.state;
    if (typeof state === "string" && LIVENESS.has(state)) out[ns.nameServer] = state as Liveness;
    else if (poll.cluster?.nameServer === ns.nameServer) out[ns.nameServer] = b.liveness;
  }
  return out;
}

function brokerRows(poll: PollResult, actor: ActorLookup): BrokerRow[] {
  return poll.replicas
    .map(({ info }): BrokerRow => ({
      node: replicaNode(info),
      group: info.group,
      replica: info.replica,
      role: info.role,
      term: info.term,
      liveness: livenessOf(info, poll, actor),
      ...(info.lagBytes === undefined ? {} : { lagBytes: info.lagBytes }),
      ...(info.commitOffset === undefined ? {} : { commitOffset: info.commitOffset }),
      ...(info.end === undefined ? {} : { end: info.end }),
      info,
    }))
    .sort((a, b) => a.group.localeCompare(b.group) || a.replica - b.replica);
}

function topicRows(placements: TopicPlacement[]): TopicRow[] {
  const byTopic = new Map<string, TopicRow>();
  for (const p of placements) {
    let row = byTopic.get(p.topic);
    if (!row) byTopic.set(p.topic, (row = { topic: p.topic, placements: [] }));
    row.placements.push({ group: p.group, readQueues: p.readQueues, writeQueues: p.writeQueues, perm: p.perm });
  }
  return [...byTopic.values()].sort((a, b) => a.topic.localeCompare(b.topic));
}

/** A consumer's assigned queues ("topic@group#queue"), from its rebalance actor's context summary. */
export function assignedQueues(context: Record<string, unknown> | undefined): string[] {
  const list = context?.queues;
  return Array.isArray(list) ? list.slice(0, 1024).filter((q): q is string => typeof q === "string") : [];
}

/** The rebalance actor of a consumer node (named by its client id, as its events say), whatever its actor id. */
export type RebalanceLookup = (node: string) => InspectEvent | undefined;

function groupRows(poll: PollResult, rebalance: RebalanceLookup): ConsumerGroupRow[] {
  const members = new Map<string, Set<string>>();
  for (const r of poll.replicas) {
    for (const g of r.status?.consumerGroups ?? []) {
      let set = members.get(g.group);
      if (!set) members.set(g.group, (set = new Set()));
      for (const m of g.members) set.add(m);
    }
  }
  // every broker group numbers its queues from 0: the row says whose queue it is
  const lag = new Map<string, Array<QueueLag & { group: string }>>();
  for (const r of poll.replicas) {
    if (r.info.role !== "master" || !r.metrics) continue;
    for (const q of r.metrics.lag) {
      if (!members.has(q.consumerGroup)) members.set(q.consumerGroup, new Set());
      let rows = lag.get(q.consumerGroup);
      if (!rows) lag.set(q.consumerGroup, (rows = []));
      rows.push({ ...q, group: r.info.group });
    }
  }
  return [...members]
    .map(([consumerGroup, ids]) => ({
      consumerGroup,
      members: [...ids].sort().map((clientId) => ({ clientId, assigned: assignedQueues(rebalance(clientId)?.context) })),
      lag: (lag.get(consumerGroup) ?? []).sort((a, b) => a.topic.localeCompare(b.topic) || a.group.localeCompare(b.group) || a.queue - b.queue),
    }))
    .sort((a, b) => a.consumerGroup.localeCompare(b.consumerGroup));
}

export function clusterView(poll: PollResult, actor: ActorLookup, rebalance: RebalanceLookup): ClusterView {
  return {
    at: poll.at,
    nameServers: poll.nameServers,
    brokers: brokerRows(poll, actor),
    topics: topicRows(poll.topics),
    consumerGroups: groupRows(poll, rebalance),
  };
}

/** The counters of one poll, for the plots. */
export function sampleOf(poll: PollResult, view: ClusterView): Sample {
  const brokers: Sample["brokers"] = {};
  for (const r of poll.replicas) {
    if (!r.metrics) continue;
    const m = r.metrics;
    brokers[replicaNode(r.info)] = {
      put: m.put.messages,
      putBytes: m.put.bytes,
      pull: m.pull.messages,
      pullBytes: m.pull.bytes,
      role: m.role,
      ...(r.info.lagBytes === undefined ? {} : { lagBytes: r.info.lagBytes }),
    };
  }
  const groupLag: Record<string, number> = {};
  // dead letters are no backlog: nothing consumes them until they are resent
  for (const g of view.consumerGroups) groupLag[g.consumerGroup] = g.lag.reduce((n, q) => (q.topic === dlqTopic(g.consumerGroup) ? n : n + q.lag), 0);
  return { at: poll.at, brokers, groupLag };
}
