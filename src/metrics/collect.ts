// Asks every known node for its metrics: the NameServers that answer
// rbus.ns.info, the replicas the broker table (rbus.ns.cluster) lists,
// each on its own rbus.metrics.<node>, all at once. A node that does not
// answer is reported as down, not left out, so a scrape shows it.
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../client/admin.js";
import { brokerUser } from "../auth/users.js";
import { subjects } from "../protocol/index.js";
import type { NodeMetrics } from "../protocol/metrics.js";
import { requestJson } from "../runtime/request.js";

export interface NodeAnswer {
  node: string;
  kind: "nameserver" | "broker";
  /** Present when the node answered. */
  metrics?: NodeMetrics;
  error?: string;
}

export interface CollectOptions {
  prefix?: string;
  timeoutMs?: number;
}

/** The node names to ask: NameServer ids, then `<g>-<r>` of every replica in the broker table. */
export async function knownNodes(nc: NatsConnection, opts: CollectOptions = {}): Promise<Array<Pick<NodeAnswer, "node" | "kind">>> {
  const admin = new Admin(nc, opts);
  const nameServers = await admin.nameServers();
  const nodes: Array<Pick<NodeAnswer, "node" | "kind">> = nameServers.map((n) => ({ node: n.nameServer, kind: "nameserver" }));
  if (nameServers.length === 0) return nodes;
  const { brokers } = await admin.cluster();
  const seen = new Set<string>();
  for (const b of brokers) {
    const node = brokerUser(b.group, b.replica);
    if (seen.has(node)) continue;
    seen.add(node);
    nodes.push({ node, kind: "broker" });
  }
  return nodes;
}

/** One node's metrics (throws when it does not answer). */
export function nodeMetrics(nc: NatsConnection, node: string, opts: CollectOptions = {}): Promise<NodeMetrics> {
  return requestJson<NodeMetrics>(nc, subjects(opts.prefix).metrics(node), {}, opts.timeoutMs ?? 2000);
}

export async function collectMetrics(nc: NatsConnection, opts: CollectOptions = {}): Promise<NodeAnswer[]> {
  const nodes = await knownNodes(nc, opts);
  return Promise.all(
    nodes.map(async (n): Promise<NodeAnswer> => {
      try {
        return { ...n, metrics: await nodeMetrics(nc, n.node, opts) };
      } catch (err) {
        return { ...n, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}
