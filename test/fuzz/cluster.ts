// The nodes the fuzz talks to, each its own process on one nats-server, so
// a crash is seen as a crash: a NameServer, a single-replica broker for the
// data plane (fuzz-a) and a replicated group of three (fuzz-r) for the
// replication subjects, where a valid-looking vote or hand-over may
// legitimately move mastership.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { decodeJson, encodeJson, Header, subjects } from "../../src/protocol/index.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { Node } from "../harness/node-process.js";
import { spawnRbus } from "../harness/processes.js";
import { ReplicaGroup } from "../harness/replica-group.js";
import { waitUntil } from "../harness/wait.js";
import { LEDGER_QUEUES, LEDGER_TOPIC } from "./ledger.js";
import type { Payload } from "./payload.js";
import { RawNats } from "./raw-nats.js";
import { TOPIC, type SubjectCase } from "./table.js";

const subj = subjects();
export const BROKER = "fuzz-a";
export const GROUP = "fuzz-r";
export const REPLICAS = 3;

export class FuzzCluster {
  /** The bare offset.commit… subjects have no responder: the broker serves them per consumer group. */
  scoped = false;
  /** For requests whose header block is written byte for byte. */
  raw!: RawNats;

  private constructor(
    readonly server: NatsServer,
    readonly nc: NatsConnection,
    readonly dir: string,
    readonly broker: Node,
    readonly group: ReplicaGroup,
  ) {}

  static async start(): Promise<FuzzCluster> {
    const server = await startNatsServer({ jetstream: false });
    const nc = await connect({ servers: server.url });
    const dir = mkdtempSync(join(tmpdir(), "rbus-fuzz-"));
    const args = ["broker", "--nats", server.url, "--group", BROKER, "--data", join(dir, BROKER), "--heartbeat-interval", "1000"];
    const broker = new Node(BROKER, () => spawnRbus(args, { RBUS_LOG: "info" })).start();
    const group = await ReplicaGroup.start({ server, nc, dir, group: GROUP, replicas: REPLICAS, nameServers: 1, electionTimeoutMs: 1000, flush: "async", logLevel: "info" });
    const c = new FuzzCluster(server, nc, dir, broker, group);
    await c.prepare();
    return c;
  }

  get ns(): Node {
    return this.group.nameServers[0]!;
  }

  private async prepare(): Promise<void> {
    await waitUntil(`${BROKER} serving`, () => this.answers(subj.broker(BROKER, 0, "status")), { timeoutMs: 20_000 });
    const m = await this.group.waitMaster({ timeoutMs: 20_000 });
    for (const [g, r] of [[BROKER, 0], [GROUP, m.replica]] as const) {
      for (const [topic, queues] of [[TOPIC, 4], ["fz2", 4], [LEDGER_TOPIC, LEDGER_QUEUES]] as const) {
        await this.nc.request(subj.broker(g, r, "topic.upsert"), encodeJson({ topic, readQueues: queues, writeQueues: queues, perm: "rw" }), { timeout: 5000 });
      }
    }
    // something to read, look up and commit against
    for (let i = 0; i < 20; i++) {
      const h = headers();
      h.set(Header.topic, TOPIC);
      h.set(Header.keys, "k1");
      await this.nc.request(subj.broker(BROKER, 0, "send"), `seed-${i}`, { headers: h, timeout: 5000 });
    }
    this.scoped = !(await this.answers(subj.broker(BROKER, 0, "offset.commit")));
    this.raw = await RawNats.open(this.server.port);
  }

  /** Whether anybody answers the subject at all. */
  async answers(subject: string): Promise<boolean> {
    try {
      await this.nc.request(subject, "{}", { timeout: 2000 });
      return true;
    } catch {
      return false;
    }
  }

  private term = { value: 0, at: 0 };

  /** The highest term a replica of the group reports (read again after 100 ms). */
  async currentTerm(): Promise<number> {
    if (Date.now() - this.term.at > 100) {
      const terms = (await this.group.statuses()).map((s) => s?.term ?? 0);
      this.term = { value: Math.max(0, ...terms), at: Date.now() };
    }
    return this.term.value;
  }

  /** A normal send to a replica: acknowledged or not. */
  async sends(group: string, replica: number): Promise<boolean> {
    const h = headers();
    h.set(Header.topic, TOPIC);
    try {
      const m = await this.nc.request(subj.broker(group, replica, "send"), "check", { headers: h, timeout: 5000 });
      return !(decodeJson(m.data) as { error?: unknown }).error;
    } catch {
      return false;
    }
  }

  subject(c: SubjectCase, p: Payload): string {
    const api = c.scoped && this.scoped ? `${c.api}.${p.scope}` : c.api;
    switch (c.node) {
      case "ns":
        return (subj.ns as Record<string, string>)[c.api]!;
      case "broker":
        return `${subj.brokerBase(BROKER, 0)}.${api}`;
      case "replica":
        return `${subj.brokerBase(GROUP, p.replica)}.${api}`;
      case "group":
        return subj.vote(GROUP);
    }
  }

  /** The processes a subject's requests reach. */
  nodes(c: SubjectCase): Node[] {
    if (c.node === "ns") return [this.ns];
    if (c.node === "broker") return [this.broker];
    return this.group.replicas;
  }

  all(): Node[] {
    return [this.ns, this.broker, ...this.group.replicas];
  }

  /** Every node answers its status (a broker) or info (the NameServer): undefined, or who does not. */
  async unanswering(): Promise<string | undefined> {
    const asks: Array<[string, string]> = [["ns-1", subj.ns.info], [BROKER, subj.broker(BROKER, 0, "status")]];
    for (let i = 0; i < REPLICAS; i++) asks.push([`${GROUP}.${i}`, subj.broker(GROUP, i, "status")]);
    const silent = [];
    for (const [who, subject] of asks) {
      try {
        const m = await this.nc.request(subject, "{}", { timeout: 5000 });
        const v = decodeJson(m.data) as { error?: { code: string } };
        if (v.error && v.error.code !== "BROKER_BUSY") silent.push(`${who} (${v.error.code})`);
      } catch (err) {
        silent.push(`${who} (${String(err)})`);
      }
    }
    return silent.length ? silent.join(", ") : undefined;
  }

  /** Starts again any node that died, so the next subject still runs; returns their names and last words. */
  async revive(): Promise<string[]> {
    const dead = this.all().filter((n) => !n.alive());
    for (const n of dead) n.start();
    if (dead.length) await waitUntil("revived nodes answering", async () => (await this.unanswering()) === undefined, { timeoutMs: 20_000 });
    return dead.map((n) => `${n.name}:\n${n.lives.at(-2)?.output().trim().split("\n").slice(-8).join("\n")}`);
  }

  async close(): Promise<void> {
    this.raw?.close();
    await Promise.all([this.broker.stop("SIGKILL"), this.group.close()]);
    await this.nc.close();
    await this.server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
