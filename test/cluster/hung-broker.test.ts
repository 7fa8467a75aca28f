// One hung broker must not stall the healthy one, and must not store what
// the producer already gave up on. Separate processes: nats-server, a
// NameServer and two brokers; the producer runs here. broker-a is paused
// with SIGSTOP for 5 s while sendAsync runs steadily on two topics:
// "load" on both groups, "probe" on broker-b only, whose latency is timed.
// Before, the in-flight limit was shared by all groups: probes waited
// seconds behind broker-a's batches, and after SIGCONT broker-a stored the
// batches that had timed out and been resent to broker-b (duplicates).
import * as assert from "uvu/assert";
import { join } from "node:path";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { decodeJson, encodeJson, Header, subjects, type PullReply } from "../../src/protocol/index.js";
import { spawnRbus, type RbusProcess } from "../harness/processes.js";
import { processSuite } from "../harness/process-suite.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const PAUSE_MS = 5000;
const BEFORE_MS = 2000;
const SEND_TIMEOUT_MS = 1000;

const test = processSuite("a hung broker", { jetstream: false });

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!;
}

/** Every body stored in a topic's queues on one broker group, read with JSON pulls. */
async function storedBodies(nc: NatsConnection, group: string, topic: string): Promise<string[]> {
  const out: string[] = [];
  for (let queueId = 0; queueId < 4; queueId++) {
    for (let offset = 0; ; ) {
      const req = { group: "check", topic, queueId, offset, max: 512 };
      const reply = decodeJson((await nc.request(subj.broker(group, 0, "pull"), encodeJson(req), { timeout: 5000 })).data) as PullReply;
      if (reply.messages.length === 0) break;
      for (const m of reply.messages) out.push(m.body);
      offset = reply.nextOffset;
    }
  }
  return out;
}

/** A paced sender: `n` messages every `everyMs` (pacing, not waiting for a state). */
function every(everyMs: number, fn: () => void): () => void {
  const t = setInterval(fn, everyMs);
  return () => clearInterval(t);
}

test("SIGSTOP on broker-a: broker-b's sendAsync p99 holds, and nothing is stored twice", async (ctx) => {
  const url = ctx.server.url;
  const admin = new Admin(ctx.nc);
  ctx.procs.push(spawnRbus(["nameserver", "--nats", url, "--id", "ns-1", "--scan-interval", "500", "--suspect-after", "20000", "--dead-after", "60000"]));
  const brokers: Record<string, RbusProcess> = {};
  for (const g of ["broker-a", "broker-b"]) {
    brokers[g] = spawnRbus(["broker", "--nats", url, "--group", g, "--data", join(ctx.dir, g), "--heartbeat-interval", "1000", "--no-auto-create-topic"]);
    ctx.procs.push(brokers[g]!);
  }
  await waitUntil("both brokers registered", async () => (await admin.nameServers()).some((n) => n.liveness.alive === 2), { timeoutMs: 15_000 });
  await admin.createTopic({ topic: "load", queues: 4 });
  await admin.createTopic({ topic: "probe", queues: 4, groups: ["broker-b"] });
  await waitUntil("routes for both topics", async () => {
    const [load, probe] = await Promise.all([admin.route("load"), admin.route("probe")]);
    return load.groups.length === 2 && probe.groups.length === 1;
  });

  const producer = await new Producer(ctx.nc, { sendTimeoutMs: SEND_TIMEOUT_MS }).start();
  const acked = new Set<string>();
  let failed = 0;
  let seq = 0;
  const pending: Array<Promise<unknown>> = [];
  const stopLoad = every(5, () => {
    if (!producer.writable) return; // bounded memory: skip a beat, as a real sender would wait
    for (let i = 0; i < 10; i++) {
      const body = `load-${seq++}`;
      pending.push(producer.sendAsync({ topic: "load", body }).then(() => acked.add(body), () => failed++));
    }
  });
  const latencies: Record<"before" | "pause", number[]> = { before: [], pause: [] };
  let phase: "before" | "pause" | "after" = "before";
  const stopProbe = every(10, () => {
    const at = phase;
    const started = performance.now();
    pending.push(
      producer.sendAsync({ topic: "probe", body: `probe-${seq++}` }).then(() => {
        if (at !== "after") latencies[at].push(performance.now() - started);
      }),
    );
  });

  await waitUntil("some load acknowledged on both groups", () => acked.size > 2000 && latencies.before.length >= BEFORE_MS / 10 - 5, { timeoutMs: 20_000 });
  const a = brokers["broker-a"]!.proc;
  a.kill("SIGSTOP");
  phase = "pause";
  await new Promise((r) => setTimeout(r, PAUSE_MS)); // the fault lasts this long: the scenario, not a wait for state
  phase = "after";
  a.kill("SIGCONT");
  const sentAt = seq;
  await waitUntil("load flows after the pause", () => seq > sentAt + 500);
  stopLoad();
  stopProbe();
  await Promise.allSettled(pending);
  await producer.close();

  // broker-a has read its backlog when it answers; a send after it is stored after every send before it.
  await waitUntil("broker-a answers again", () => ctx.nc.request(subj.broker("broker-a", 0, "status"), "{}", { timeout: 1000 }).then(() => true));
  const h = headers();
  h.set(Header.topic, "load");
  h.set(Header.queue, "0");
  await ctx.nc.request(subj.broker("broker-a", 0, "send"), "fence", { headers: h, timeout: 5000 });

  const before = p99(latencies.before);
  const during = p99(latencies.pause);
  const limit = Math.max(2 * before, 100);
  console.log(`probe p99 before ${before.toFixed(1)} ms (${latencies.before.length}), during the pause ${during.toFixed(1)} ms (${latencies.pause.length}); load acked ${acked.size}, failed ${failed}`);
  assert.ok(latencies.pause.length > PAUSE_MS / 20, "probes kept completing during the pause");
  assert.ok(during <= limit, `broker-b's p99 during the pause is ${during.toFixed(1)} ms; at most ${limit.toFixed(1)} (before: ${before.toFixed(1)})`);

  const stored = [...(await storedBodies(ctx.nc, "broker-a", "load")), ...(await storedBodies(ctx.nc, "broker-b", "load"))].filter((b) => b !== "fence");
  const count = new Map<string, number>();
  for (const b of stored) count.set(b, (count.get(b) ?? 0) + 1);
  const twice = [...count].filter(([, n]) => n > 1);
  assert.is(twice.length, 0, `${twice.length} messages stored more than once, e.g. ${twice.slice(0, 3).map(([b, n]) => `${b}×${n}`).join(", ")}`);
  const lost = [...acked].filter((b) => !count.has(b));
  assert.is(lost.length, 0, `${lost.length} acknowledged messages not stored`);
});

test.run();
