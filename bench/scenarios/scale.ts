// Scale curves: throughput and send latency against message size, queues,
// topics, producers and consumers in a group, one axis grown at a time from
// a 100 B / 4 queues / 1 topic / 1 producer baseline, on a fresh cluster of
// its own (so that thousands of queues do not weigh on the other scenarios,
// nor their backlog on these). A quick run takes one point per axis beyond
// the baseline.
import { Admin } from "../../src/client/admin.js";
import type { ConsumedMessage } from "../../src/client/push-consumer.js";
import { DEFAULT_LIMITS } from "../../actors/limits.js";
import { startBenchCluster, type BenchCluster } from "../lib/cluster.js";
import { progress } from "../lib/progress.js";
import { sendAll, startProducer } from "../lib/rocketbus.js";
import { DeliveryCount, sendLatency, sendShared, startGroup, startProducers } from "../lib/scale-load.js";
import type { ScaleCell, ScaleSection } from "../lib/scale-report.js";
import { LatencyRecorder, rate, type Latency } from "../lib/stats.js";
import { waitUntil } from "../../test/harness/wait.js";
import type { Sizes } from "./sizes.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const GROUP_QUEUES = 64;
const WARMUP = 2_000;

const FULL_GRID = { size: [100, KiB, 16 * KiB, MiB], queues: [4, 256, 8192], topics: [1, 1000], producers: [1, 8, 64], consumers: [1, 8, 64] };
const QUICK_GRID = { size: [100, 16 * KiB], queues: [4, 256], topics: [1, 100], producers: [1, 8], consumers: [1, 8] };
type Grid = typeof FULL_GRID;

const sizeLabel = (b: number) => (b >= MiB ? `${b / MiB} MiB` : b >= KiB ? `${b / KiB} KiB` : `${b} B`);

/** A broker's queues per topic, at most, unless configured otherwise. */
const MAX_QUEUES = DEFAULT_LIMITS.maxQueuesPerTopic;

/** Topics named `prefix-<k>`, `queues` in all (at most MAX_QUEUES a topic, so 8192 queues are 32 topics of 256). */
async function createTopics(c: BenchCluster, prefix: string, topics: number, queues: number): Promise<string[]> {
  const perTopic = Math.min(queues / topics, MAX_QUEUES);
  const count = Math.max(topics, Math.ceil(queues / perTopic));
  const names = Array.from({ length: count }, (_, k) => `${prefix}-${k}`);
  const admin = new Admin(c.nc);
  for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((topic) => admin.createTopic({ topic, queues: perTopic })));
  return names;
}

class Cells {
  constructor(readonly c: BenchCluster, readonly sizes: Sizes) {}

  messages(size: number): number {
    return Math.max(64, Math.min(this.sizes.scaleMessages, Math.floor(this.sizes.scaleBytes / size)));
  }

  cell(axis: string, point: string, messages: number, ms: number, size: number, lat: Latency): ScaleCell {
    const throughput = rate(messages, ms);
    return { axis, point, messages, throughput, mibPerSecond: (throughput * size) / MiB, p50: lat.p50, p99: lat.p99 };
  }

  /** The JIT of the send path, before the baseline: as many messages as a cell. */
  async warm(topics: string[]): Promise<void> {
    const producer = await startProducer(this.c.nc);
    await sendAll(producer, topics, this.sizes.scaleMessages, () => new Uint8Array(100));
    await producer.close();
  }

  /** sendAsync throughput, then sends one in flight, from `producers` over `topics`. */
  async send(axis: string, point: string, topics: string[], producers: number, size: number): Promise<ScaleCell> {
    const messages = this.messages(size);
    const body = new Uint8Array(size).fill(97);
    const clients = await startProducers(this.c.server.url, producers);
    try {
      // warm-up: routes for every topic, the JIT, a batch per producer
      await sendShared(clients.list, topics, Math.max(2 * topics.length, Math.min(WARMUP, messages)), body);
      progress(`(scale) ${axis} ${point}: sendAsync × ${messages} from ${producers} producer${producers > 1 ? "s" : ""} over ${topics.length} topic${topics.length > 1 ? "s" : ""}`);
      const ms = await sendShared(clients.list, topics, messages, body);
      const lat = await sendLatency(clients.list, topics, Math.min(this.sizes.scaleSamples, messages), body);
      return this.cell(axis, point, messages, ms, size, lat);
    } finally {
      await clients.close();
    }
  }

  /** A group of n draining one producer's sendAsync as it goes, then send → listener with one in flight. */
  async consume(n: number): Promise<ScaleCell> {
    const [topic] = await createTopics(this.c, `scale-c${n}`, 1, GROUP_QUEUES);
    const messages = this.messages(100);
    const delivered = new DeliveryCount();
    const rec = new LatencyRecorder(this.sizes.scaleSamples);
    let arrived: (() => void) | undefined;
    const listener = (m: ConsumedMessage) => {
      if (m.body[8] === 1) {
        rec.add(performance.now() - m.body.readDoubleBE(0));
        arrived?.();
      } else delivered.onMessage();
    };
    const group = await startGroup(this.c.server.url, `bench-scale-c${n}`, topic!, n, GROUP_QUEUES, listener);
    const producer = await startProducer(this.c.nc);
    try {
      const body = new Uint8Array(100).fill(97);
      await sendAll(producer, topic!, WARMUP, () => body);
      await delivered.until(WARMUP, 60_000);
      progress(`(scale) consumers ${n}: ${messages} messages over ${GROUP_QUEUES} queues, delivered as they are sent`);
      const t0 = performance.now();
      await sendAll(producer, topic!, messages, () => body);
      await delivered.until(WARMUP + messages, 120_000);
      const ms = performance.now() - t0;
      for (let i = 0; i < this.sizes.scaleSamples; i++) {
        const probe = Buffer.alloc(100);
        const landed = new Promise<void>((r) => (arrived = r));
        probe.writeDoubleBE(performance.now(), 0);
        probe[8] = 1;
        await producer.send({ topic: topic!, body: probe });
        await landed;
      }
      return this.cell("consumers in a group", String(n), messages, ms, 100, rec.summary());
    } finally {
      await producer.close();
      await group.close();
    }
  }
}

export async function scale(sizes: Sizes, quick: boolean): Promise<ScaleSection> {
  const grid: Grid = quick ? QUICK_GRID : FULL_GRID;
  progress("(scale) starting a fresh nats-server, NameServer and broker for the scale curves");
  const c = await startBenchCluster();
  const run = new Cells(c, sizes);
  const cells: ScaleCell[] = [];
  try {
    // the broker answers before its first registration reaches the NameServer
    const baseTopics = await waitUntil("the broker's registration", () => createTopics(c, "scale-base", 1, 4), { timeoutMs: 30_000 });
    await run.warm(baseTopics);
    const base = await run.send("baseline", "", baseTopics, 1, 100);
    const first = (axis: string, point: string) => cells.push({ ...base, axis, point });
    first("message size", sizeLabel(grid.size[0]!));
    for (const size of grid.size.slice(1)) cells.push(await run.send("message size", sizeLabel(size), await createTopics(c, `scale-s${size}`, 1, 4), 1, size));
    first("producers", String(grid.producers[0]));
    for (const n of grid.producers.slice(1)) cells.push(await run.send("producers", String(n), await createTopics(c, `scale-p${n}`, 1, 4), n, 100));
    for (const n of grid.consumers) cells.push(await run.consume(n));
    // thousands of queues and topics stay on the broker: these run last
    first("queues", String(grid.queues[0]));
    for (const q of grid.queues.slice(1)) cells.push(await run.send("queues", String(q), await createTopics(c, `scale-q${q}`, 1, q), 1, 100));
    first("topics", String(grid.topics[0]));
    for (const t of grid.topics.slice(1)) cells.push(await run.send("topics", String(t), await createTopics(c, `scale-t${t}`, t, 4 * t), 1, 100));
  } finally {
    await c.stop();
  }
  const order = ["message size", "queues", "topics", "producers", "consumers in a group"];
  cells.sort((a, b) => order.indexOf(a.axis) - order.indexOf(b.axis));
  return {
    cells,
    notes: [
      `Each cell: at most ${sizes.scaleMessages.toLocaleString("en-US")} messages and ${sizes.scaleBytes / MiB} MiB of bodies, after a warm-up; then ${sizes.scaleSamples} sends one in flight. ` +
        "The first point of the size, queues, topics and producers axes is one baseline run.",
      `queues: one topic of that many queues up to ${MAX_QUEUES}, a broker's default limit per topic; more are topics of ${MAX_QUEUES} taking the messages in turn (8192: ${8192 / MAX_QUEUES} topics).`,
      "topics: 4 queues each, taking the messages in turn (the producer batches per topic, so a batch holds fewer messages).",
      "producers: each on its own NATS connection, sharing the messages; p50/p99 with every producer sending one at a time.",
      `consumers in a group: one topic of ${GROUP_QUEUES} queues, push consumers (pull batch 32) balanced before timing; throughput is messages ` +
        "delivered to the listeners while one producer sends them; p50/p99 are send → listener with one message in flight.",
    ],
  };
}
