// Which nodes `rbus inspect --node` can name: the NameServers, the broker
// replicas (as <group>-<replica>: run-cluster prints <group>.<replica>, and a
// dot cannot be in a subject token) and the clients the brokers list.
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../client/admin.js";
import { UsageError } from "./args.js";
import { hint } from "./nearest.js";
import { replicaStatuses } from "./replica-status.js";

export interface KnownNodes {
  /** Nodes that answer rbus.machines.<node>. */
  servers: string[];
  clients: string[];
}

/** A client id as its inspector names its subject token. */
export const nodeToken = (node: string) => node.replace(/[^A-Za-z0-9_-]/g, "_");

export async function knownNodes(nc: NatsConnection, prefix: string): Promise<KnownNodes> {
  const admin = new Admin(nc, { prefix, timeoutMs: 2000 });
  const nameServers = await admin.nameServers().catch(() => []);
  const { brokers } = nameServers.length > 0 ? await admin.cluster() : { brokers: [] };
  const clients = new Set<string>();
  for (const status of (await replicaStatuses(nc, prefix, brokers)).values()) {
    for (const g of (status as { consumerGroups?: Array<{ members?: string[] }> }).consumerGroups ?? []) for (const m of g.members ?? []) clients.add(m);
  }
  const servers = [...nameServers.map((n) => n.nameServer), ...new Set(brokers.map((b) => `${b.group}-${b.replica}`))];
  return { servers, clients: [...clients].sort() };
}

/** The node `name` means: as given, in run-cluster's form (broker-a.0 → broker-a-0), or a client's subject token; else a usage error listing them. */
export function resolveNode(name: string, known: KnownNodes): string {
  const all = [...known.servers, ...known.clients];
  const forms = [name, name.replace(/\.(\d+)$/, "-$1")];
  for (const f of forms) if (known.servers.includes(f)) return f;
  const client = known.clients.find((c) => c === name || nodeToken(c) === name);
  if (client !== undefined) return nodeToken(client);
  if (all.length === 0) throw new Error(`no node "${name}": no NameServer answers, so no node can be listed; is the cluster up? (rbus cluster)`);
  const near = hint(forms[1]!, all, "");
  const list = `nodes: ${known.servers.join(", ")}${known.clients.length ? `; clients: ${known.clients.join(", ")}` : ""}`;
  throw new UsageError(`no node "${name}"${near.startsWith("; did") ? near : ""}\n${list}`);
}
