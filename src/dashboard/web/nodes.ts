// Which nodes the page shows, in which order, and how a broker replica's
// node name meets the liveness actors NameServers run for it.
import type { NodeKind, NodeView } from "../api.js";
import type { Model } from "./model.js";

const KIND_ORDER: Record<NodeKind, number> = { nameserver: 0, broker: 1, consumer: 2, producer: 3 };

/** The kind of node an actor's machine says it runs on, for nodes heard of only by their inspect events. */
const KIND_OF_MACHINE: Record<string, NodeKind> = { nameserver: "nameserver", liveness: "nameserver", registration: "broker", role: "broker", rebalance: "consumer" };

/** NameServers, then broker replicas by group and replica, then consumers and producers. */
export function orderedNodes(model: Model): NodeView[] {
  const byName = new Map(model.snapshot.nodes.map((n) => [n.name, n]));
  for (const a of model.actors.values()) {
    if (byName.has(a.node)) continue;
    const kind = KIND_OF_MACHINE[a.machine];
    if (kind) byName.set(a.node, { name: a.node, kind, lastSeen: a.at });
  }
  return [...byName.values()].sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      (a.group ?? "").localeCompare(b.group ?? "") ||
      (a.replica ?? 0) - (b.replica ?? 0) ||
      a.name.localeCompare(b.name),
  );
}

/** "broker-a.0": how NameServers name a replica (their liveness actors are `liveness-<this>`). */
export function replicaKey(node: NodeView): string {
  if (node.group !== undefined && node.replica !== undefined) return `${node.group}.${node.replica}`;
  const m = /^(.*)-(\d+)$/.exec(node.name);
  return m ? `${m[1]}.${m[2]}` : node.name;
}

const SEVERITY = { alive: 0, suspect: 1, dead: 2, removed: 3 } as Record<string, number>;

/** The worst liveness any NameServer's actor holds for a replica, or undefined when none watches it. */
export function worstLiveness(model: Model, node: NodeView): string | undefined {
  const actor = `liveness-${replicaKey(node)}`;
  let worst: string | undefined;
  for (const a of model.actors.values()) {
    if (a.actor !== actor || typeof a.state !== "string") continue;
    if (worst === undefined || (SEVERITY[a.state] ?? 0) > (SEVERITY[worst] ?? 0)) worst = a.state;
  }
  return worst;
}
