// make load: what a client can make the cluster hold, all at once, while a
// real producer sends. 50,000 long polls, 10,000 ghost consumer-group
// members and 10,000 fake broker registrations (permissions off: the
// nodes' own defences) go to a broker and two NameServers running as
// processes; the broker's memory growth and a real send's p99 must stay
// under the bounds below. Prints the figures.
//   node dist/test/load/limits-load.js [--quick] [--max-held-pulls <n>]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { Producer } from "../../src/client/producer.js";
import { encodeJson, scopedApi, subjects } from "../../src/protocol/index.js";
import { silentLogger } from "../../src/runtime/log.js";
import { startNatsServer } from "../harness/nats-server.js";
import { spawnRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";
import { percentile } from "./figures.js";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, "max-held-pulls": { type: "string" }, only: { type: "string" } } });
const scale = values.quick ? 0.2 : 1;
/** --only pulls|members|registrations: one kind alone, to see what each costs. */
const kind = (k: string) => (values.only === undefined || values.only === k ? scale : 0);
const HELD = 50_000 * kind("pulls");
const GHOSTS = 10_000 * kind("members");
const FAKE_REGISTRATIONS = 10_000 * kind("registrations");
/**
 * Bounds: the broker's RSS growth under attack, and a real send's p99 while
 * it lasts. The attack's 70,000 requests arrive in half a second and are
 * served in order with the real sends: the p99 is the back of that queue.
 */
const MAX_RSS_GROWTH_MB = 150;
const MAX_SEND_P99_MS = values.quick ? 500 : 1000;
const ATTACK_MS = values.quick ? 3000 : 8000;

const subj = subjects();
const MB = 1024 * 1024;
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

const server = await startNatsServer({ jetstream: false });
const dir = mkdtempSync(join(tmpdir(), "rbus-load-"));
const nc = await connect({ servers: server.url });
const attacker = await connect({ servers: server.url, name: "attacker" });
const nameServers = ["ns-1", "ns-2"].map((id) => spawnRbus(["nameserver", "--nats", server.url, "--id", id], { RBUS_LOG: "error" }));
const heldFlags = values["max-held-pulls"] ? ["--max-held-pulls", values["max-held-pulls"], "--max-held-pulls-per-client", values["max-held-pulls"]] : [];
const broker = spawnRbus(["broker", "--nats", server.url, "--broker-group", "broker-a", "--data", dir, "--heartbeat-interval", "1000", ...heldFlags], { RBUS_LOG: "error" });
const status = async () => (await nc.request(subj.broker("broker-a", 0, "status"), "{}", { timeout: 10_000 })).json<Record<string, any>>();
let failed = false;
try {
  await waitUntil("broker serving", () => status().then(() => true), { timeoutMs: 20_000 });
  const producer = await new Producer(nc, { group: "load", log: silentLogger }).start();
  // the long polls wait on a topic nobody writes to
  await nc.request(subj.broker("broker-a", 0, "topic.upsert"), encodeJson({ topic: "idle", readQueues: 4, writeQueues: 4, perm: "rw" }));
  // the broker answers status before its first registration (which offers auto-created topics) reaches the NameServers
  await waitUntil("the broker's registration", () => producer.send({ topic: "load", body: "warm" }), { timeoutMs: 20_000 });

  // the real producer: one send every 5 ms, each timed
  const latencies: number[] = [];
  let errors = 0;
  let sending = true;
  const sender = (async () => {
    const inFlight = new Set<Promise<void>>();
    while (sending) {
      const t = performance.now();
      const p = producer.send({ topic: "load", body: "real message" }).then(
        () => void latencies.push(performance.now() - t),
        () => void errors++,
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inFlight);
  })();
  await waitUntil("a baseline", () => latencies.length >= 200);
  const baseline = percentile(latencies.splice(0), 0.99);
  const rss0 = rssOf(broker.proc.pid!);
  const heap0 = (await status()).memory?.heapUsed ?? 0;

  // the attack, from one plain connection, in slices so the attacker's own buffers stay small
  const t0 = performance.now();
  for (let i = 0; i < HELD; i++) {
    const reply = `_INBOX.attack${i % 100}.x.${i}`;
    attacker.publish(subj.broker("broker-a", 0, "pull"), encodeJson({ group: "g", topic: "idle", queueId: i % 4, offset: 0, max: 32, waitMs: 30_000 }), { reply });
    if (i % 1000 === 999) await attacker.flush();
  }
  for (let i = 0; i < GHOSTS; i++) {
    const group = `ghosts-${i % 10}`;
    const hb = { clientId: `ghost-${i}`, group, mode: "clustering", topics: ["load"], ttlMs: 600_000 };
    attacker.publish(subj.broker("broker-a", 0, scopedApi("client.heartbeat", group)), encodeJson(hb), { reply: `_INBOX.ghost.${i}` });
    if (i % 1000 === 999) await attacker.flush();
  }
  for (let i = 0; i < FAKE_REGISTRATIONS; i++) {
    const group = `fake-${i}`;
    const reg = {
      cluster: "DefaultCluster", group, replica: 0, role: "master", term: 1, address: `rbus.broker.${group}.0`, heartbeatIntervalMs: 30_000,
      topics: [{ topic: "load", readQueues: 4, writeQueues: 4, perm: "rw" }], startedAt: Date.now(), replicas: 1, session: "0".repeat(32),
    };
    attacker.publish(subj.ns.register, encodeJson(reg));
    if (i % 1000 === 999) await attacker.flush();
  }
  await attacker.flush();
  const published = performance.now() - t0;

  // while it lasts: the broker's memory and status latency, and a route's
  let peakRss = rss0;
  let slowestStatus = 0;
  let slowestRoute = 0;
  let last: Record<string, any> = {};
  let peakHeap = heap0;
  const until = performance.now() + ATTACK_MS;
  while (performance.now() < until) {
    peakRss = Math.max(peakRss, rssOf(broker.proc.pid!));
    let t = performance.now();
    last = await status();
    peakHeap = Math.max(peakHeap, last.memory?.heapUsed ?? 0);
    slowestStatus = Math.max(slowestStatus, performance.now() - t);
    t = performance.now();
    await nc.request(subj.ns.route, encodeJson({ topic: "load" }), { timeout: 10_000 }).catch(() => undefined);
    slowestRoute = Math.max(slowestRoute, performance.now() - t);
    await new Promise((r) => setTimeout(r, 100));
  }
  sending = false;
  await sender;
  const p99 = percentile(latencies, 0.99);
  const growth = (peakRss - rss0) / MB;
  const L = last.limits ?? { maxHeldPulls: { used: last.pullsHeld } }; // a broker from before limits shows pullsHeld alone
  console.log(`limits load${values.quick ? " (quick)" : ""}: ${HELD} long polls, ${GHOSTS} ghost members, ${FAKE_REGISTRATIONS} fake registrations (published in ${published.toFixed(0)} ms)`);
  console.log(`  held pulls ${L.maxHeldPulls?.used}/${L.maxHeldPulls?.max}, members ${L.maxMembers?.used}/${L.maxMembers?.max}, consumer groups ${L.maxConsumerGroups?.used}`);
  console.log(`  broker RSS ${(rss0 / MB).toFixed(0)} MB before, peak ${(peakRss / MB).toFixed(0)} MB: +${growth.toFixed(1)} MB (bound ${MAX_RSS_GROWTH_MB} MB)`);
  console.log(`  broker heapUsed ${(heap0 / MB).toFixed(0)} MB before, peak ${(peakHeap / MB).toFixed(0)} MB: +${((peakHeap - heap0) / MB).toFixed(1)} MB`);
  if (values.only === "pulls") console.log(`  per held pull: ${((peakRss - rss0) / L.maxHeldPulls.used).toFixed(0)} bytes of RSS, ${((peakHeap - heap0) / L.maxHeldPulls.used).toFixed(0)} of heap`);
  console.log(`  real sends: ${latencies.length} ok, ${errors} failed; p99 ${p99.toFixed(1)} ms under attack, ${baseline.toFixed(1)} ms before (bound ${MAX_SEND_P99_MS} ms)`);
  console.log(`  slowest status ${slowestStatus.toFixed(0)} ms, slowest route ${slowestRoute.toFixed(0)} ms`);
  const problems: string[] = [];
  if (growth > MAX_RSS_GROWTH_MB) problems.push(`broker RSS grew ${growth.toFixed(1)} MB`);
  if (p99 > MAX_SEND_P99_MS) problems.push(`send p99 ${p99.toFixed(1)} ms`);
  if (errors > 0) problems.push(`${errors} real sends failed`);
  if (broker.proc.exitCode !== null) problems.push("the broker exited");
  for (const ns of nameServers) if (ns.proc.exitCode !== null) problems.push("a NameServer exited");
  if (problems.length > 0) {
    failed = true;
    console.error(`FAILED: ${problems.join("; ")}`);
  }
  await producer.close();
} finally {
  await broker.kill("SIGKILL");
  for (const ns of nameServers) await ns.kill("SIGKILL");
  await attacker.close();
  await nc.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
