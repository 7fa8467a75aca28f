// A secured cluster of processes for the dashboard's browser test, as
// run-cluster starts one: nats-server on the shipped nats.conf, every
// process its own NATS user, 2 NameServers with liveness timings short
// enough to watch (suspect after 1 s, dead after 2.5 s), broker-a of 3
// replicas with automatic failover, broker-b of one, a consumer, and
// `rbus dashboard` as the read-only `dashboard` user on a port of its own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { brokerUser, consumerUser, type AuthCluster } from "../../src/auth/users.js";
import { subjects } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { Node } from "../harness/node-process.js";
import { runRbus, spawnRbus } from "../harness/processes.js";
import { startSecureNats, type SecureNats } from "../harness/secure-nats.js";
import { waitUntil } from "../harness/wait.js";

export const TIMINGS = { scanMs: 200, suspectMs: 1000, deadMs: 2500, heartbeatMs: 250, electionMs: 1000 };
export const TOPIC = "orders";
const CLUSTER: AuthCluster = {
  prefix: "rbus",
  nameServers: ["ns-1", "ns-2"],
  groups: [{ name: "broker-a", replicas: 3 }, { name: "broker-b", replicas: 1 }],
  consumerGroups: ["billing"],
  producers: ["producer"],
};
const subj = subjects();

export interface LiveCluster {
  nats: SecureNats;
  nameServers: Node[];
  /** By node name: "broker-a-0" … "broker-b-0". */
  replicas: Map<string, Node>;
  consumer: Node;
  dashboard: Node;
  /** The dashboard's origin, e.g. http://127.0.0.1:41234. */
  origin: string;
  /** A replica's role from its own status reply (undefined when it does not answer). */
  role(node: string): Promise<string | undefined>;
  /** Every node's output, for a failure message. */
  logs(): string;
  stop(): Promise<void>;
}

export const NAMESERVERS = CLUSTER.nameServers;
export const REPLICAS = CLUSTER.groups.flatMap((g) => Array.from({ length: g.replicas }, (_, r) => ({ group: g.name, replica: r, node: brokerUser(g.name, r) })));

export async function startLiveCluster(): Promise<LiveCluster> {
  const nats = await startSecureNats({ cluster: CLUSTER });
  const dir = mkdtempSync(join(tmpdir(), "rbus-dashboard-browser-"));
  const url = nats.url;
  const nodes: Node[] = [];
  const node = (name: string, args: string[], user: string) => {
    const n = new Node(name, () => spawnRbus([...args, "--nats", url, ...nats.flags(user)])).start();
    nodes.push(n);
    return n;
  };
  let admin: NatsConnection | undefined;
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
    await admin?.close().catch(() => undefined);
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const logs = () => nodes.map((n) => `${n.name}:\n${n.history().trim().split("\n").slice(-12).join("\n")}`).join("\n");
  try {
    const t = TIMINGS;
    const nameServers = CLUSTER.nameServers.map((id) =>
      node(id, ["nameserver", "--id", id, "--scan-interval", `${t.scanMs}`, "--suspect-after", `${t.suspectMs}`, "--dead-after", `${t.deadMs}`], id),
    );
    const replicas = new Map<string, Node>();
    for (const r of REPLICAS) {
      const size = CLUSTER.groups.find((g) => g.name === r.group)!.replicas;
      const args = ["broker", "--group", r.group, "--replica", `${r.replica}`, "--replicas", `${size}`, "--data", join(dir, r.node),
        "--heartbeat-interval", `${t.heartbeatMs}`, "--flush", "async", ...(size > 1 ? ["--election-timeout", `${t.electionMs}`] : [])];
      replicas.set(r.node, node(r.node, args, r.node));
    }
    admin = await nats.connect("admin");
    const role = async (name: string) => {
      const r = REPLICAS.find((x) => x.node === name)!;
      const status = await requestJson<{ replication?: { role: string } }>(admin!, subj.broker(r.group, r.replica, "status"), {}, 500).catch(() => undefined);
      return status?.replication?.role;
    };
    await waitUntil("a master in each group", async () => (await role("broker-b-0")) === "master" && (await Promise.all(["broker-a-0", "broker-a-1", "broker-a-2"].map(role))).includes("master"), { timeoutMs: 20_000, intervalMs: 100 });
    const created = await runRbus(["topic", "create", "--topic", TOPIC, "--queues", "2", "--nats", url, ...nats.flags("admin")], 15_000);
    if (created.code !== 0) throw new Error(`rbus topic create failed: ${created.stderr}`);
    const dashboard = node("dashboard", ["dashboard", "--port", "0"], "dashboard");
    const origin = await waitUntil("the dashboard saying where it listens", () =>
      dashboard.alive() ? /https?:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+/.exec(dashboard.output())?.[0] : "exited",
    { timeoutMs: 15_000, intervalMs: 50 });
    if (origin === "exited") throw new Error(`rbus dashboard exited:\n${dashboard.output()}`);
    // after the dashboard, so it hears the consumer's first states (a consumer answers no rbus.machines)
    const consumer = node("consumer-billing", ["consume", "--topic", TOPIC, "--group", "billing"], consumerUser("billing"));
    return { nats, nameServers, replicas, consumer, dashboard, origin, role, logs, stop };
  } catch (err) {
    const out = logs();
    await stop();
    throw new Error(`${(err as Error).message}\n${out}`);
  }
}
