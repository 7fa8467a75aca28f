// The cluster a chaos run breaks, every node its own process: a real
// nats-server, NameServers, broker groups under sync flush (acknowledged
// means on disk), producer and consumer-group workers journaling what they
// saw. Short NameServer timings, so routes recover within a second or two.
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
  /** Messages per second from the one producer. */
  rate: number;
}

export class ChaosCluster {
  readonly nameServers: Node[] = [];
  readonly brokers = new Map<string, Node>();
  readonly consumers: Node[] = [];
  producer!: Node;
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
    for (const g of o.groups) {
      const args = ["broker", "--nats", url, "--group", g, "--replica", "0", "--data", this.dataDir(g), "--flush", "sync", "--heartbeat-interval", "500"];
      this.brokers.set(g, new Node(g, () => spawnRbus(args)).start());
    }
    const admin = new Admin(nc);
    await waitUntil("every broker registered", async () => (await admin.cluster()).brokers.length === o.groups.length, { timeoutMs: 20_000 });
    await admin.createTopic({ topic: o.topic, queues: 4 });
    for (let i = 0; i < o.members; i++) this.consumers.push(this.consumerNode(`consumer-${i}`, o.consumerGroup).start());
    await waitUntil("every member known to every broker", async () => {
      for (const g of o.groups) if ((await this.members(g, o.consumerGroup)) !== o.members) return false;
      return true;
    }, { timeoutMs: 20_000 });
    this.producer = new Node("producer-0", () =>
      spawnNode(worker("producer-worker"), [url, o.topic, this.journal("producer-0"), "p0", String(o.rate)], { RBUS_LOG: "warn" }),
    ).start();
  }

  dataDir(group: string): string {
    return join(this.o.dir, "data", group);
  }

  journal(name: string): string {
    return join(this.o.dir, `${name}.jsonl`);
  }

  broker(group: string): Node {
    const b = this.brokers.get(group);
    if (!b) throw new Error(`no broker group ${group}`);
    return b;
  }

  /** A member of `group` journaling to <name>.jsonl; every life appends to the same journal. */
  consumerNode(name: string, group: string): Node {
    const args = [this.server.url, this.o.topic, group, this.journal(name), name];
    return new Node(name, () => spawnNode(worker("consumer-worker"), args, { RBUS_LOG: "warn" }));
  }

  /** Members a broker knows for a consumer group. */
  async members(brokerGroup: string, group: string): Promise<number> {
    const reply = await this.nc.request(subj.broker(brokerGroup, 0, "status"), "{}", { timeout: 2000 });
    const status = decodeJson(reply.data) as { consumerGroups: Array<{ group: string; members: string[] }> };
    return status.consumerGroups.find((g) => g.group === group)?.members.length ?? 0;
  }

  /** Waits for a broker to answer its status request; fails at once if its process exited. */
  async waitBrokerUp(group: string, timeoutMs = 20_000): Promise<void> {
    const b = this.broker(group);
    const up = await waitUntil(`${group} serving`, async () => {
      if (!b.alive()) return "exited";
      return this.nc.request(subj.broker(group, 0, "status"), "{}", { timeout: 500 }).then(() => "serving");
    }, { timeoutMs, intervalMs: 100 });
    if (up === "exited") throw new BrokerExited(group, b.current.proc.exitCode, b.output());
  }

  /** Writes every node's output under <dir>/logs, for a failed run's post-mortem. */
  saveLogs(): string {
    const dir = join(this.o.dir, "logs");
    mkdirSync(dir, { recursive: true });
    const nodes = [...this.nameServers, ...this.brokers.values(), ...this.consumers, this.producer, ...(this.audit ? [this.audit] : [])];
    for (const n of nodes) writeFileSync(join(dir, `${n.name}.log`), n.history());
    return dir;
  }

  async stop(): Promise<void> {
    const nodes = [this.producer, this.audit, ...this.consumers, ...this.brokers.values(), ...this.nameServers];
    await Promise.all(nodes.map((n) => n?.stop("SIGKILL")));
    await this.nc.close().catch(() => undefined);
    await this.server.stop();
  }
}

export class BrokerExited extends Error {
  constructor(group: string, code: number | null, output: string) {
    super(`${group} exited (code ${code}) instead of serving; its last lines:\n${output.trim().split("\n").slice(-8).join("\n")}`);
  }
}
