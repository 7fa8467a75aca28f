// Orderly consumption with queue locks, all in separate processes: a
// NameServer and a broker (rbus nameserver / rbus broker), and orderly
// members (member-worker.ts) that join, are SIGKILLed and stop cleanly
// while a producer sends per-key sequences over 8 queues. The checker
// (checker.ts) then reads every journal: per key strictly in order, no gap,
// no duplicate beyond a killed member's uncommitted tail, and never two
// members in one queue at once.
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
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
import { suite } from "../harness/suite.js";
import { waitUntil } from "../harness/wait.js";
import { check, type JournalEvent } from "./checker.js";

const subj = subjects();
const BROKER = "ord-a";
const GROUP = "ledger";
const QUEUES = 8;
const KEYS = 32;
const SEQS = 50;
/** Each key's sends this far apart: the run lasts about SEQS × PACE_MS. */
const PACE_MS = 300;
const worker = fileURLToPath(new URL("./member-worker.js", import.meta.url));

/**
 * Timings shortened so a member's death is noticed in about a second. The
 * listener takes 50 ms, so queues are busy when members come and go: with
 * locks that grant everyone, or a client that trusts a lock it lacks, this
 * run fails the checker (both tried).
 */
const LOCK_LEASE_MS = 2000;
const MEMBER = {
  heartbeatMs: 300, rebalanceMs: 1000, commitIntervalMs: 300, retryMs: 100, handoverMs: 0, pollWaitMs: 500,
  listenerMs: 50,
};
const ORDERLY = { renewMs: 1000, liveMs: 1000, retryMs: 100, suspendMs: 100 };

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  nodes: RbusProcess[];
}

async function startCluster(): Promise<Ctx> {
  const server = await startNatsServer({ jetstream: false });
  const dir = mkdtempSync(join(tmpdir(), "rbus-orderly-"));
  const nodes = [
    spawnRbus(["nameserver", "--nats", server.url, "--id", "ns-1", "--scan-interval", "200", "--suspect-after", "2000", "--dead-after", "4000"]),
    spawnRbus(["broker", "--nats", server.url, "--broker-group", BROKER, "--data", join(dir, BROKER), "--heartbeat-interval", "500", "--lock-lease", String(LOCK_LEASE_MS)]),
  ];
  const nc = await connect({ servers: server.url });
  return { server, nc, dir, nodes };
}

async function createTopic(c: Ctx, topic: string): Promise<void> {
  await waitUntil("the broker answering", () => requestJson(c.nc, subj.broker(BROKER, 0, "topic.upsert"), { topic, readQueues: QUEUES, writeQueues: QUEUES, perm: "rw" }, 1000), { timeoutMs: 20_000 });
  await waitUntil(`route of ${topic}`, async () => {
    const r = await requestJson<RouteData>(c.nc, subj.ns.route, { topic }, 1000);
    return r.queues.some((q) => q.group === BROKER && q.writeQueues === QUEUES);
  }, { timeoutMs: 20_000 });
}

class Members {
  readonly procs = new Map<string, RbusProcess>();
  readonly events: JournalEvent[] = [];
  constructor(private readonly c: Ctx, private readonly topic: string, private readonly options: object) {}

  start(name: string): void {
    this.procs.set(name, spawnNode(worker, [this.c.server.url, GROUP, this.topic, name, this.journal(name), JSON.stringify(this.options)], { RBUS_LOG: "warn" }));
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
async function produce(nc: NatsConnection, topic: string, at: (n: number) => Promise<void>, keys = KEYS, seqs = SEQS, paceMs = PACE_MS): Promise<JournalEvent[]> {
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

const test = suite<Ctx>("orderly members in separate processes");

test.before(async (ctx) => {
  Object.assign(ctx, await startCluster());
});
test.after(async (ctx) => {
  await ctx.nc?.close();
  for (const n of ctx.nodes ?? []) await n.kill("SIGKILL");
  await ctx.server?.stop();
});

test("members join, are SIGKILLed and stop cleanly: per key in order, no gap, no duplicate, one member per queue", async (ctx) => {
  const topic = "orderly-ledger";
  await createTopic(ctx, topic);
  const members = new Members(ctx, topic, { ...MEMBER, orderly: ORDERLY });
  for (const m of ["m1", "m2", "m3"]) members.start(m);
  for (const m of ["m1", "m2", "m3"]) await members.ready(m);
  const total = KEYS * SEQS;
  const plan = new Map<number, () => Promise<void>>([
    [Math.floor(total * 0.15), () => members.kill("m1")],
    [Math.floor(total * 0.25), async () => members.start("m4")],
    [Math.floor(total * 0.4), () => members.stop("m2")],
    [Math.floor(total * 0.5), async () => members.start("m5")],
    [Math.floor(total * 0.65), () => members.kill("m3")],
    [Math.floor(total * 0.75), async () => members.start("m6")],
    [Math.floor(total * 0.85), () => members.stop("m4")],
  ]);
  const startedAt = Date.now();
  const sent = await produce(ctx.nc, topic, async (n) => plan.get(n)?.());
  const sentAt = Date.now();
  await waitUntil("every message processed", () => members.processed().size >= sent.length, { timeoutMs: 30_000 });
  for (const m of ["m5", "m6"]) await members.stop(m);
  const r = check([...sent, ...members.all()]);
  console.log(`  orderly: ${r.sent} sent in ${sentAt - startedAt} ms, ${r.processed} listener calls, ${r.redelivered} redelivered after the two SIGKILLs, all done ${Date.now() - sentAt} ms after the last send`);
  const perMember = new Map<string, number>();
  for (const e of members.all()) if (e.e === "end") perMember.set(e.m, (perMember.get(e.m) ?? 0) + 1);
  console.log(`  listener calls per member: ${[...perMember].map(([m, n]) => `${m} ${n}`).join(", ")}`);
  assert.equal(r.problems, [], r.problems.join("\n"));
  for (const m of ["m1", "m2", "m3", "m4", "m5", "m6"]) assert.ok((perMember.get(m) ?? 0) > 0, `${m} processed some messages`);
  assert.is(r.sent, total);
});

test("without queue locks (orderly off) the checker sees a joining member redo what another still had", async (ctx) => {
  const topic = "unlocked-ledger";
  await createTopic(ctx, topic);
  // plain in-order delivery with a backlog: the joining member reads the committed offset at once, while the old owner is mid-message
  const members = new Members(ctx, topic, { ...MEMBER, commitIntervalMs: 10_000, listenerMs: 300 });
  members.start("u1");
  await members.ready("u1");
  const sent = await produce(ctx.nc, topic, async () => {}, 8, 6, 0);
  await waitUntil("u1 under way", () => members.all().filter((e) => e.e === "end").length >= 4);
  members.start("u2");
  await waitUntil("every message processed", () => members.processed().size >= sent.length, { timeoutMs: 30_000 });
  for (const m of ["u1", "u2"]) await members.stop(m);
  const r = check([...sent, ...members.all()]);
  console.log(`  without locks: ${r.problems.length} problems found, e.g. ${r.problems[0]}`);
  assert.ok(r.problems.some((p) => /processed again|while .* was in offset/.test(p)), r.problems.join("\n"));
});

test.run();
