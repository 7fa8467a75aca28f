// Route and cluster views computed from a NameServer's broker table.
// Pure: the NameServer actor calls these with its current snapshot.
//
// Which replica is a group's master: the one claiming master with the
// highest term. A replica that was master and was deposed may still claim
// it at its old term until it hears of the new one (it was paused, or cut
// off from NATS); routes show it as a slave so that no client writes to it.
import type { BrokerInfo, ClusterInfo, GroupRoute, QueueData, ReplicaRoute, RouteData } from "../src/protocol/types.js";
import type { BrokerEntry } from "./nameserver.js";

/** Each group's master: the highest-term master claim, live replicas before dead ones, then the latest heard. */
export function mastersByGroup(brokers: Iterable<BrokerEntry>): Map<string, BrokerEntry> {
  const out = new Map<string, BrokerEntry>();
  for (const b of brokers) {
    if (b.registration.role !== "master") continue;
    const best = out.get(b.registration.group);
    if (best === undefined || outranks(b, best)) out.set(b.registration.group, b);
  }
  return out;
}

function outranks(a: BrokerEntry, b: BrokerEntry): boolean {
  const aDead = a.liveness === "dead";
  if (aDead !== (b.liveness === "dead")) return !aDead;
  if (a.registration.term !== b.registration.term) return a.registration.term > b.registration.term;
  return a.lastHeartbeatAt > b.lastHeartbeatAt;
}

/** A slave's lag behind `master`: the master's own report of its fetches, else the difference of the two log ends. */
function lagOf(b: BrokerEntry, master: BrokerEntry | undefined): { lagBytes?: number; lastFetchAgoMs?: number } {
  if (master === undefined || master === b) return {};
  const f = master.registration.followers?.find((x) => x.replica === b.registration.replica);
  if (f) return { lagBytes: f.lagBytes, lastFetchAgoMs: f.lastFetchAgoMs };
  const { end } = b.registration;
  const masterEnd = master.registration.end;
  if (end === undefined || masterEnd === undefined) return {};
  return { lagBytes: Math.max(0, masterEnd - end) };
}

function replicaRoute(b: BrokerEntry, master: BrokerEntry | undefined): ReplicaRoute {
  const reg = b.registration;
  const role = reg.role === "master" && b !== master ? "slave" : reg.role;
  const r: ReplicaRoute = { replica: reg.replica, role, term: reg.term, liveness: b.liveness, address: reg.address };
  if (reg.commitOffset !== undefined) r.commitOffset = reg.commitOffset;
  const { lagBytes } = lagOf(b, master);
  if (lagBytes !== undefined) r.lagBytes = lagBytes;
  return r;
}

/**
 * RocketMQ's TopicRouteData for a topic: the queue counts of every group
 * whose master serves it, and the live replicas of those groups. Dead
 * replicas are left out; suspect ones stay, marked, so that clients can
 * avoid them while others can take the work. Undefined when no group has it.
 */
export function buildRoute(nameServer: string, topic: string, brokers: Iterable<BrokerEntry>): RouteData | undefined {
  const live = [...brokers].filter((b) => b.liveness !== "dead");
  const masters = mastersByGroup(live);
  const groups = new Map<string, GroupRoute>();
  const queues = new Map<string, QueueData>();
  for (const b of live) {
    const reg = b.registration;
    const config = reg.topics.find((t) => t.topic === topic);
    if (!config) continue;
    const master = masters.get(reg.group);
    // The master's topic table is authoritative; a slave's is only a copy.
    if (b === master || !queues.has(reg.group)) {
      queues.set(reg.group, { group: reg.group, readQueues: config.readQueues, writeQueues: config.writeQueues, perm: config.perm });
    }
    const group = groups.get(reg.group) ?? { cluster: reg.cluster, group: reg.group, replicas: [] };
    group.replicas.push(replicaRoute(b, master));
    groups.set(reg.group, group);
  }
  if (groups.size === 0) return undefined;
  const byName = (a: { group: string }, b: { group: string }) => a.group.localeCompare(b.group);
  for (const g of groups.values()) g.replicas.sort((a, b) => a.replica - b.replica);
  return { topic, nameServer, queues: [...queues.values()].sort(byName), groups: [...groups.values()].sort(byName) };
}

export function brokerInfo(b: BrokerEntry, master?: BrokerEntry): BrokerInfo {
  const r = b.registration;
  const info: BrokerInfo = {
    cluster: r.cluster,
    group: r.group,
    replica: r.replica,
    role: r.role === "master" && master !== undefined && b !== master ? "slave" : r.role,
    term: r.term,
    address: r.address,
    liveness: b.liveness,
    registeredAt: b.registeredAt,
    lastHeartbeatAt: b.lastHeartbeatAt,
    topics: r.topics.length,
    fingerprint: b.fingerprint,
  };
  if (info.role !== r.role) info.claimedRole = r.role;
  if (r.replicas !== undefined) info.replicas = r.replicas;
  if (r.commitOffset !== undefined) info.commitOffset = r.commitOffset;
  if (r.end !== undefined) info.end = r.end;
  if (r.masterReplica !== undefined) info.masterReplica = r.masterReplica;
  if (r.followers !== undefined) info.followers = r.followers;
  return { ...info, ...lagOf(b, master) };
}

export function buildClusterInfo(nameServer: string, brokers: Iterable<BrokerEntry>): ClusterInfo {
  const all = [...brokers];
  const masters = mastersByGroup(all);
  const list = all.map((b) => brokerInfo(b, masters.get(b.registration.group)));
  list.sort((a, b) => a.group.localeCompare(b.group) || a.replica - b.replica);
  return { nameServer, brokers: list };
}
