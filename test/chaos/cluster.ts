// The cluster a chaos run breaks, every node its own process: a real
// nats-server, NameServers, broker groups under sync flush (acknowledged
// means on disk), producer and consumer-group workers journaling what they
// saw. Short NameServer timings, so routes recover within a second or two.
// Groups of several replicas run with quorum acks and a 1 s election
// timeout: acknowledged means a majority holds it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../../src/client/admin.js";
import { decodeJson, subjects } from "../../src/protocol/index.js";
import { connectNats } from "../../src/runtime/nats.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { Node } from "../harness/node-process.js";
import { spawnNode, spawnRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

const worker = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
const subj = subjects();

export { Node };

export interface ChaosClusterOptions {
  dir: string;
  topic: string;
  groups: readonly string[];
  members: number;
  consumerGroup: string;
  /** Messages per second from each producer. */
  rate: number;
  /** Replicas per broker group (default 1). */
  replicas?: number;
  /** Producer processes (default 1). */
  producers?: number;
}

/** A replicated group's election timeout in a chaos run: failovers within a second or two. */
const ELECTION_TIMEOUT_MS = 1000;

export class ChaosCluster {
  readonly nameServers: Node[] = [];
  /** Broker group → its replicas, by replica id. */
  readonly brokers = new Map<string, Node[]>();
  readonly consumers: Node[] = [];
  readonly producers: Node[] = [];
  audit: Node | undefined;

  private constructor(
    readonly o: ChaosClusterOptions,
    readonly server: NatsServer,
    readonly nc: NatsConnection,
  ) {}

  static async start(o: ChaosClusterOptions): Promise<ChaosCluster> {
    const server = await startNatsServer();
    const nc = await connectNats(server.url, "chaos-harness");
    const c = new ChaosCluster(o, server, nc);
    try {
      await c.launch();
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** The nodes, in the order they need each other; ready when every member is known to every broker. */
  private async launch(): Promise<void> {
    const { o, nc } = this;
    const url = this.server.url;
    for (const id of ["ns-1", "ns-2"]) {
      this.nameServers.push(new Node(id, () => spawnRbus(["nameserver", "--nats", url, "--id", id, "--scan-interval", "200", "--suspect-after", "2000", "--dead-after", "4000"])).start());
    }
    const replicas = this.replicas;
    for (const g of o.groups) {
      const nodes: Node[] = [];
      for (let i = 0; i < replicas; i++) {
        const args = ["broker", "--nats", url, "--group", g, "--replica", String(i), "--data", this.dataDir(g, i), "--flush", "sync", "--heartbeat-interval", "500"];
        if (replicas > 1) args.push("--replicas", String(replicas), "--election-timeout", String(ELECTION_TIMEOUT_MS), "--ack", "quorum");
        nodes.push(new Node(replicas > 1 ? `${g}.${i}` : g, () => spawnRbus(args)).start());
      }
      this.brokers.set(g, nodes);
    }
    const admin = new Admin(nc);
    await waitUntil("every broker registered, a master in every group", async () => {
      const { brokers } = await admin.cluster();
      return brokers.length === o.groups.length * replicas && o.groups.every((g) => brokers.some((b) => b.group === g && b.role === "master"));
    }, { timeoutMs: 20_000 });
    // a group may hold another election right after its first (a master that lost its majority on a busy host): try again
    await waitUntil("the topic created on every master", () => admin.createTopic({ topic: o.topic, queues: 4 }).then(() => true), { timeoutMs: 20_000, intervalMs: 250 });
    for (let i = 0; i < o.members; i++) this.consumers.push(this.consumerNode(`consumer-${i}`, o.consumerGroup).start());
    await waitUntil("every member known to every broker", async () => {
      for (const g of o.groups) if ((await this.members(g, o.consumerGroup)) !== o.members) return false;
      return true;
    }, { timeoutMs: 20_000 });
    for (let p = 0; p < (o.producers ?? 1); p++) {
      const name = `producer-${p}`;
      this.producers.push(new Node(name, () =>
        spawnNode(worker("producer-worker"), [url, o.topic, this.journal(name), `p${p}`, String(o.rate)], { RBUS_LOG: "warn" }),
      ).start());
    }
  }

  get replicas(): number {
    return this.o.replicas ?? 1;
  }

  /** A replica's data folder: <dir>/data/<group> for a one-replica group (as before replication), else <dir>/data/<group>.<i>. */
  dataDir(group: string, replica = 0): string {
    return join(this.o.dir, "data", this.replicas > 1 ? `${group}.${replica}` : group);
  }

  journal(name: string): string {
    return join(this.o.dir, `${name}.jsonl`);
  }

  broker(group: string, replica = 0): Node {
    const b = this.brokers.get(group)?.[replica];
    if (!b) throw new Error(`no broker ${group}.${replica}`);
    return b;
  }

  /** The replica of `group` that says it is master at the highest term any replica reports; undefined when none does. */
  async masterOf(group: string): Promise<number | undefined> {
    const statuses = await Promise.all((this.brokers.get(group) ?? []).map((_, i) => this.status(group, i, 500)));
    const top = Math.max(...statuses.map((s) => s?.replication?.term ?? -1));
    const i = statuses.findIndex((s) => s?.replication?.role === "master" && s.replication.term === top);
    return i < 0 ? undefined : i;
  }

  private async status(group: string, replica: number, timeoutMs: number): Promise<BrokerStatus | undefined> {
    try {
      return decodeJson((await this.nc.request(subj.broker(group, replica, "status"), "{}", { timeout: timeoutMs })).data) as BrokerStatus;
    } catch {
      return undefined;
    }
  }

  /** A member of `group` journaling to <name>.jsonl; every life appends to the same journal. */
  consumerNode(name: string, group: string): Node {
    const args = [this.server.url, this.o.topic, group, this.journal(name), name];
    return new Node(name, () => spawnNode(worker("consumer-worker"), args, { RBUS_LOG: "warn" }));
  }

  /** Members a broker group knows for a consumer group (its master keeps the table: the most any replica knows). */
  async members(brokerGroup: string, group: string): Promise<number> {
    const statuses = await Promise.all((this.brokers.get(brokerGroup) ?? []).map((_, i) => this.status(brokerGroup, i, 2000)));
    return Math.max(0, ...statuses.map((s) => s?.consumerGroups.find((g) => g.group === group)?.members.length ?? 0));
  }

  /** Waits for a broker to answer its status request; fails at once if its process exited. */
  async waitBrokerUp(group: string, replica = 0, timeoutMs = 20_000): Promise<void> {
    const b = this.broker(group, replica);
    const up = await waitUntil(`${b.name} serving`, async () => {
      if (!b.alive()) return "exited";
      return this.nc.request(subj.broker(group, replica, "status"), "{}", { timeout: 500 }).then(() => "serving");
    }, { timeoutMs, intervalMs: 100 });
    if (up === "exited") throw new BrokerExited(b.name, b.current.proc.exitCode, b.output());
  }

  /** Writes every node's output under <dir>/logs, for a failed run's post-mortem. */
  saveLogs(): string {
    const dir = join(this.o.dir, "logs");
    mkdirSync(dir, { recursive: true });
    const nodes = [...this.nameServers, ...[...this.brokers.values()].flat(), ...this.consumers, ...this.producers, ...(this.audit ? [this.audit] : [])];
    for (const n of nodes) writeFileSync(join(dir, `${n.name}.log`), n.history());
    return dir;
  }

  async stop(): Promise<void> {
    const nodes = [...this.producers, this.audit, ...this.consumers, ...[...this.brokers.values()].flat(), ...this.nameServers];
    await Promise.all(nodes.map((n) => n?.stop("SIGKILL")));
    await this.nc.close().catch(() => undefined);
    await this.server.stop();
  }
}

interface BrokerStatus {
  consumerGroups: Array<{ group: string; members: string[] }>;
  replication?: { role: string; term: number };
}

export class BrokerExited extends Error {
  constructor(group: string, code: number | null, output: string) {
    super(`${group} exited (code ${code}) instead of serving; its last lines:\n${output.trim().split("\n").slice(-8).join("\n")}`);
  }
}
