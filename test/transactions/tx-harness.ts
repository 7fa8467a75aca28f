// What the transaction tests share: a broker group run as processes with
// short check intervals, producer-group members as worker processes, a
// consumer that keeps every body it sees, and the broker's own count of a
// topic's messages (so "never seen" is checked where it is stored).
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/transport-node";
import { PullConsumer } from "../../src/client/pull-consumer.js";
import { Admin } from "../../src/client/admin.js";
import { AUTO_CREATE_TOPIC, decodeJson, encodeJson, scopedApi, subjects, type TopicStatusReply, type TransactionEvent } from "../../src/protocol/index.js";
import { spawnNode, type RbusProcess } from "../harness/processes.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { suite, type Test } from "../harness/suite.js";
import { ReplicaGroup } from "../harness/replica-group.js";
import { waitUntil } from "../harness/wait.js";

export const subj = subjects();
export const TOPIC = "tx-orders";
const worker = fileURLToPath(new URL("./tx-producer-worker.js", import.meta.url));

/** Checks after 1 s, a pass every 200 ms: a half left alone is asked about within about 1.2 s. */
export const FAST_CHECKS = ["--transaction-timeout", "1000", "--transaction-check-interval", "200", "--transaction-check-timeout", "500"];

export interface TxCtx {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  procs: RbusProcess[];
  groups: ReplicaGroup[];
}

/** A suite with a nats-server, a folder, and every process and broker group it started killed at the end. */
export function txSuite(name: string): Test<TxCtx> {
  const test = suite<TxCtx>(name);
  test.before(async (ctx) => {
    ctx.server = await startNatsServer({ jetstream: false });
    ctx.nc = await connect({ servers: ctx.server.url });
    ctx.dir = mkdtempSync(join(tmpdir(), "rbus-tx-"));
    ctx.procs = [];
    ctx.groups = [];
  });
  test.after(async (ctx) => {
    await Promise.all(ctx.procs.map((p) => p.kill("SIGKILL")));
    await Promise.all(ctx.groups.map((g) => g.close()));
    await ctx.nc.close();
    await ctx.server.stop();
    rmSync(ctx.dir, { recursive: true, force: true });
  });
  return test;
}

export async function startGroup(ctx: TxCtx, group: string, replicas: number, brokerArgs: string[] = FAST_CHECKS): Promise<ReplicaGroup> {
  const g = await ReplicaGroup.start({ server: ctx.server, nc: ctx.nc, dir: ctx.dir, group, replicas, nameServers: 1, flush: "async", brokerArgs, electionTimeoutMs: 1000 });
  ctx.groups.push(g);
  // the tests' topics are made by the first send (auto-create): the NameServer must route the group's TBW102 first
  const admin = new Admin(ctx.nc);
  await waitUntil(`${group} routed for auto-created topics`, async () => (await admin.route(AUTO_CREATE_TOPIC).catch(() => undefined))?.groups.some((r) => r.group === group) === true, { timeoutMs: 15_000 });
  return g;
}

/** A producer-group member in its own process; `lines` are what it printed, parsed. */
export class Member {
  readonly proc: RbusProcess;
  constructor(ctx: TxCtx, group: string, opts: { halves?: number; listen?: boolean; settle?: boolean; tag?: string } = {}) {
    const args = ["--nats", ctx.server.url, "--group", group, "--topic", TOPIC, "--halves", String(opts.halves ?? 0), "--tag", opts.tag ?? group];
    if (opts.listen) args.push("--listen");
    if (opts.settle) args.push("--settle");
    this.proc = spawnNode(worker, args);
    ctx.procs.push(this.proc);
  }
  lines(kind: "HALF" | "CHECK" | "SETTLED"): string[][] {
    return this.proc.output().split("\n").filter((l) => l.startsWith(`${kind} `)).map((l) => l.split(" ").slice(1));
  }
  ready(timeoutMs = 20_000): Promise<unknown> {
    return waitUntil("the producer worker ready", () => {
      if (this.proc.proc.exitCode !== null) throw new Error(`worker exited:\n${this.proc.output()}`);
      return this.proc.output().includes("READY");
    }, { timeoutMs });
  }
}

/** Every body a consumer group sees on the topic, from the first offset, with each message's properties. */
export class Seen {
  readonly bodies: string[] = [];
  readonly props: Array<Record<string, string>> = [];
  private running = true;
  private readonly done: Promise<void>;
  private constructor(private readonly consumer: PullConsumer) {
    this.done = this.loop();
  }
  static async start(nc: NatsConnection, group: string): Promise<Seen> {
    const c = new PullConsumer(nc, { group, from: "first", pollWaitMs: 200, retryMs: 100, rebalanceMs: 500 }).subscribe(TOPIC);
    await c.start();
    return new Seen(c);
  }
  private async loop(): Promise<void> {
    while (this.running) {
      for (const m of await this.consumer.poll(300).catch(() => [])) {
        this.bodies.push(m.body.toString());
        this.props.push(m.properties ?? {});
      }
    }
  }
  count(body: string): number {
    return this.bodies.filter((b) => b === body).length;
  }
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    await this.consumer.close();
  }
}

/** Messages stored in the topic on the replica, all queues. */
export async function stored(nc: NatsConnection, group: string, replica: number): Promise<number> {
  const reply = await nc.request(subj.broker(group, replica, "topic.status"), encodeJson({ topic: TOPIC }), { timeout: 2000 });
  const r = decodeJson(reply.data) as TopicStatusReply;
  return r.queues.reduce((n, q) => n + q.maxOffset, 0);
}

/** Keeps every transaction event of the producer group. */
export function events(nc: NatsConnection, pg: string): TransactionEvent[] {
  const out: TransactionEvent[] = [];
  nc.subscribe(subj.events.transaction(pg), { callback: (_, m) => void out.push(decodeJson(m.data) as TransactionEvent) });
  return out;
}

/** The raw tx.end reply (decoded JSON: a result or an error envelope). */
export async function txEnd(nc: NatsConnection, group: string, replica: number, body: unknown): Promise<Record<string, unknown>> {
  const data = typeof body === "string" ? new TextEncoder().encode(body) : encodeJson(body);
  const pg = (body as { producerGroup?: unknown } | null)?.producerGroup;
  const scope = typeof pg === "string" && /^[A-Za-z0-9_-]+$/.test(pg) ? pg : "nobody";
  const reply = await nc.request(subj.broker(group, replica, scopedApi("tx.end", scope)), data, { timeout: 5000 });
  return decodeJson(reply.data) as Record<string, unknown>;
}
