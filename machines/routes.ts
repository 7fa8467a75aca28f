// Route and cluster views computed from a NameServer's broker table.
// Pure: the NameServer actor calls these with its current snapshot.
import type { BrokerInfo, ClusterInfo, GroupRoute, QueueData, RouteData } from "../src/protocol/types.js";
import type { BrokerEntry } from "./nameserver.js";

/**
 * RocketMQ's TopicRouteData for a topic: the queue counts of every group
 * whose master serves it, and the live replicas of those groups. Dead
 * replicas are left out; suspect ones stay, marked, so that clients can
 * avoid them while others can take the work. Undefined when no group has it.
 */
export function buildRoute(nameServer: string, topic: string, brokers: Iterable<BrokerEntry>): RouteData | undefined {
  const groups = new Map<string, GroupRoute>();
  const queues = new Map<string, QueueData>();
  for (const b of brokers) {
    if (b.liveness === "dead") continue;
    const reg = b.registration;
    const config = reg.topics.find((t) => t.topic === topic);
    if (!config) continue;
    // The master's topic table is authoritative; a slave's is only a copy.
    if (reg.role === "master" || !queues.has(reg.group)) {
      queues.set(reg.group, { group: reg.group, readQueues: config.readQueues, writeQueues: config.writeQueues, perm: config.perm });
    }
    const group = groups.get(reg.group) ?? { cluster: reg.cluster, group: reg.group, replicas: [] };
    group.replicas.push({ replica: reg.replica, role: reg.role, term: reg.term, liveness: b.liveness, address: reg.address });
    groups.set(reg.group, group);
  }
  if (groups.size === 0) return undefined;
  const byName = (a: { group: string }, b: { group: string }) => a.group.localeCompare(b.group);
  for (const g of groups.values()) g.replicas.sort((a, b) => a.replica - b.replica);
  return { topic, nameServer, queues: [...queues.values()].sort(byName), groups: [...groups.values()].sort(byName) };
}

export function brokerInfo(b: BrokerEntry): BrokerInfo {
  const r = b.registration;
  return {
    cluster: r.cluster,
    group: r.group,
    replica: r.replica,
    role: r.role,
    term: r.term,
    address: r.address,
    liveness: b.liveness,
    registeredAt: b.registeredAt,
    lastHeartbeatAt: b.lastHeartbeatAt,
    topics: r.topics.length,
  };
}

export function buildClusterInfo(nameServer: string, brokers: Iterable<BrokerEntry>): ClusterInfo {
  const list = [...brokers].map(brokerInfo);
  list.sort((a, b) => a.group.localeCompare(b.group) || a.replica - b.replica);
  return { nameServer, brokers: list };
}
