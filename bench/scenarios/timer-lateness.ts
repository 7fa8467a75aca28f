// (h) timer lateness: `timers` timer messages due at random times over the
// next `timerWindowMs`, sent in due order (so each is stored well before
// it is due), then read back from their real topic: how late each was
// stored past its due time (storedAt − TIMER_DELIVER_MS, the broker's own
// clock for both). RocketMQ 5's timer messages aim at 1 s precision; the
// target here is p99 under 100 ms with the broker not overloaded.
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { waitUntil } from "../../test/harness/wait.js";
import { checkTimers, percentile, readTopic, timerStatus } from "../../test/timers/timer-load.js";
import type { BenchCluster } from "../lib/cluster.js";
import { progress } from "../lib/progress.js";
import type { Row } from "../lib/report.js";
import type { Sizes } from "./sizes.js";

const TOPIC = "timer-lateness";
const QUEUES = 4;
/** The first timers fall due this long after the sends begin. */
const LEAD_MS = 2000;

export async function timerLateness(c: BenchCluster, sizes: Sizes): Promise<Row[]> {
  const n = sizes.timers;
  const windowMs = sizes.timerWindowMs;
  const admin = new Admin(c.nc);
  await waitUntil("the broker's registration", () => admin.createTopic({ topic: TOPIC, queues: QUEUES }), { timeoutMs: 30_000 });
  await waitUntil(`route of ${TOPIC}`, async () => (await admin.route(TOPIC).catch(() => undefined))?.groups.length === 1, { timeoutMs: 30_000 });
  progress(`(h) ${n} timers due over ${windowMs / 1000} s`);
  const start = Date.now() + LEAD_MS;
  const times = Array.from({ length: n }, () => start + Math.floor(Math.random() * windowMs)).sort((a, b) => a - b);
  const due = new Map<string, number>();
  const producer = await new Producer(c.nc, { sendTimeoutMs: 5000 }).start();
  let next = 0;
  let lateSends = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const body = `t${i}`;
      due.set(body, times[i]!);
      if (Date.now() >= times[i]!) lateSends++;
      await producer.send({ topic: TOPIC, body, deliverAt: times[i]! });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  await producer.close();
  await waitUntil("every timer delivered", async () => Date.now() > times[n - 1]! && (await timerStatus(c.nc, "broker-a", 0))?.pending === 0, { timeoutMs: windowMs + 60_000, intervalMs: 200 });
  const check = checkTimers(await readTopic(c.nc, "broker-a", 0, TOPIC, QUEUES), due);
  if (check.problems.length > 0) throw new Error(`(h) timers: ${check.problems.length} problems, first: ${check.problems.slice(0, 5).join("; ")}`);
  const l = check.lateness;
  const p50 = percentile(l, 0.5);
  const p99 = percentile(l, 0.99);
  const worst = l[l.length - 1]!;
  const note = `${n} timers over ${windowMs / 1000} s, each delivered once${lateSends ? `; ${lateSends} were sent after their due time` : ""}`;
  const row = (metric: string, v: number, extra: Partial<Row> = {}): Row => ({
    scenario: "(h) timer lateness", metric, unit: "ms", rocketbus: v, higherIsBetter: false, ...extra,
  });
  return [row("lateness p50", p50, { note }), row("lateness p99", p99, { target: "< 100 ms", met: p99 < 100 }), row("lateness worst", worst)];
}
