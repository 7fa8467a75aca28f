// What the separate-process orderly tests share: a NameServer and a broker
// as rbus processes on a fresh nats-server, the topic over 8 queues, the
// members (member-worker.ts, one process each) with their journals, and a
// producer of per-key sequences that journals what it sent.
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as assert from "uvu/assert";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Producer, selectByKey } from "../../src/client/producer.js";
import { subjects, type RouteData } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { spawnNode, spawnRbus, type RbusProcess } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";
import type { JournalEvent } from "./checker.js";

const subj = subjects();
export const BROKER = "ord-a";
export const GROUP = "ledger";
export const QUEUES = 8;
export const KEYS = 32;
export const SEQS = 50;
/** Each key's sends this far apart: the run lasts about SEQS × PACE_MS. */
export const PACE_MS = 300;
const worker = fileURLToPath(new URL("./member-worker.js", import.meta.url));

/**
 * Timings shortened so a member's death is noticed in about a second. The
 * listener takes 50 ms, so queues are busy when members come and go: with
 * locks that grant everyone, or a client that trusts a lock it lacks, this
 * run fails the checker (both tried).
 */
export const LOCK_LEASE_MS = 2000;
export const MEMBER = {
  heartbeatMs: 300, rebalanceMs: 1000, commitIntervalMs: 300, retryMs: 100, handoverMs: 0, pollWaitMs: 500,
  listenerMs: 50,
};
export const ORDERLY = { renewMs: 1000, liveMs: 1000, retryMs: 100, suspendMs: 100 };

export interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  nodes: RbusProcess[];
}

export async function startCluster(): Promise<Ctx> {
  const server = await startNatsServer({ jetstream: false });
  const dir = mkdtempSync(join(tmpdir(), "rbus-orderly-"));
  const nodes = [
    spawnRbus(["nameserver", "--nats", server.url, "--id", "ns-1", "--scan-interval", "200", "--suspect-after", "2000", "--dead-after", "4000"]),
    spawnRbus(["broker", "--nats", server.url, "--broker-group", BROKER, "--data", join(dir, BROKER), "--heartbeat-interval", "500", "--lock-lease", String(LOCK_LEASE_MS)]),
  ];
  const nc = await connect({ servers: server.url });
  return { server, nc, dir, nodes };
}

/** Stops what startCluster started (whatever of it did start) and removes its folder. */
export async function stopCluster(c: Partial<Ctx>): Promise<void> {
  await c.nc?.close();
  for (const n of c.nodes ?? []) await n.kill("SIGKILL");
  await c.server?.stop();
  if (c.dir) rmSync(c.dir, { recursive: true, force: true });
}

export async function createTopic(c: Ctx, topic: string): Promise<void> {
  await waitUntil("the broker answering", () => requestJson(c.nc, subj.broker(BROKER, 0, "topic.upsert"), { topic, readQueues: QUEUES, writeQueues: QUEUES, perm: "rw" }, 1000), { timeoutMs: 20_000 });
  await waitUntil(`route of ${topic}`, async () => {
    const r = await requestJson<RouteData>(c.nc, subj.ns.route, { topic }, 1000);
    return r.queues.some((q) => q.group === BROKER && q.writeQueues === QUEUES);
  }, { timeoutMs: 20_000 });
}

export class Members {
  readonly procs = new Map<string, RbusProcess>();
  readonly events: JournalEvent[] = [];
  constructor(private readonly c: Ctx, private readonly topic: string, private readonly options: object) {}

  /** `url`: where the member connects (a TCP proxy to cut it off), the server by default. */
  start(name: string, url = this.c.server.url): void {
    this.procs.set(name, spawnNode(worker, [url, GROUP, this.topic, name, this.journal(name), JSON.stringify(this.options)], { RBUS_LOG: "warn" }));
  }

  journal(name: string): string {
    return join(this.c.dir, `${name}.jsonl`);
  }

  async ready(name: string): Promise<void> {
    await waitUntil(`${name} started`, () => this.lines(name).some((l) => l.e === ("ready" as string)), { timeoutMs: 15_000 });
  }

  async kill(name: string): Promise<void> {
    await this.procs.get(name)!.kill("SIGKILL");
    // the time after its death: nothing of it can begin later
    this.events.push({ e: "kill", m: name, t: Date.now() });
  }

  async stop(name: string): Promise<void> {
    const code = await this.procs.get(name)!.kill("SIGTERM");
    assert.is(code, 0, `${name} stopped cleanly:\n${this.procs.get(name)!.output()}`);
  }

  lines(name: string): Array<JournalEvent | { e: string }> {
    if (!existsSync(this.journal(name))) return [];
    const out = [];
    for (const line of readFileSync(this.journal(name), "utf8").split("\n")) {
      try {
        if (line) out.push(JSON.parse(line) as JournalEvent);
      } catch {
        // a line cut by SIGKILL
      }
    }
    return out;
  }

  all(): JournalEvent[] {
    const kinds = new Set(["begin", "end", "commit"]);
    return [...this.events, ...[...this.procs.keys()].flatMap((n) => this.lines(n).filter((l): l is JournalEvent => kinds.has(l.e)))];
  }

  processed(): Set<string> {
    return new Set(this.all().flatMap((e) => (e.e === "end" ? [`${e.q}:${e.o}`] : [])));
  }
}

/** Sends `keys` sequences of `seqs` messages, each key's in order, calling `at(n)` after the n-th. */
export async function produce(nc: NatsConnection, topic: string, at: (n: number) => Promise<void>, keys = KEYS, seqs = SEQS, paceMs = PACE_MS): Promise<JournalEvent[]> {
  const producer = await new Producer(nc, { group: "orderly-producer" }).start();
  const sent: JournalEvent[] = [];
  let n = 0;
  let hooks = Promise.resolve();
  await Promise.all(Array.from({ length: keys }, async (_, ki) => {
    const k = `key-${ki}`;
    for (let s = 0; s < seqs; s++) {
      const r = await producer.send({ topic, body: JSON.stringify({ k, s }), keys: k }, { selector: selectByKey, arg: k });
      sent.push({ e: "sent", k, s, q: r.queueId, o: r.queueOffset });
      const nth = ++n;
      hooks = hooks.then(() => at(nth));
      // paced, so that members come and go while the sequences flow
      if (paceMs > 0) await new Promise((res) => setTimeout(res, paceMs));
    }
  }));
  await hooks;
  await producer.close();
  return sent;
}

