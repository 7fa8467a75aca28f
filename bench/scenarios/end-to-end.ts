// (c) end-to-end latency at a fixed rate: send → a push consumer's listener.
import { Admin } from "../../src/client/admin.js";
import { PushConsumer } from "../../src/client/push-consumer.js";
import type { BenchCluster } from "../lib/cluster.js";
import { progress } from "../lib/progress.js";
import type { Row } from "../lib/report.js";
import { startProducer } from "../lib/rocketbus.js";
import { LatencyRecorder, atFixedRate, type Latency } from "../lib/stats.js";
import { endToEndLatency, resetStream } from "../peers/jetstream.js";
import { pubSubLatency } from "../peers/nats.js";
import type { Sizes } from "./sizes.js";

async function rocketbus(c: BenchCluster, count: number, warmup: number, perSecond: number): Promise<Latency> {
  const topic = "e2e";
  await new Admin(c.nc).createTopic({ topic, queues: 4 });
  const rec = new LatencyRecorder(count);
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const consumer = new PushConsumer(c.nc, { group: "bench-e2e", from: "last" })
    .subscribe(topic)
    .onMessage((m) => {
      if (m.body.readDoubleBE(8) >= warmup) rec.add(performance.now() - m.body.readDoubleBE(0));
      if (rec.count >= count) resolveDone();
    });
  await consumer.start();
  const producer = await startProducer(c.nc);
  await atFixedRate(warmup + count, perSecond, (i) => {
    const body = Buffer.allocUnsafe(100);
    body.writeDoubleBE(performance.now(), 0);
    body.writeDoubleBE(i, 8);
    void producer.sendAsync({ topic, body });
  });
  await done;
  await producer.close();
  await consumer.close();
  return rec.summary();
}

export async function endToEnd(c: BenchCluster, sizes: Sizes): Promise<Row[]> {
  const count = sizes.e2eRate * sizes.e2eSeconds;
  progress(`(c) end-to-end at ${sizes.e2eRate} msg/s for ${sizes.e2eSeconds} s: Rocketbus, JetStream, bare NATS`);
  // Half a second at the rate first, for each peer: routes, consumers and JIT warm.
  const warmup = Math.round(sizes.e2eRate / 2);
  const rb = await rocketbus(c, count, warmup, sizes.e2eRate);
  const js = await endToEndLatency(await resetStream(c.nc), { count, warmup, perSecond: sizes.e2eRate, size: 100 });
  const ceiling = await pubSubLatency(c.nc, { count, perSecond: sizes.e2eRate, size: 100 });
  const row = (metric: "p50" | "p99"): Row => ({
    scenario: `(c) end to end at ${sizes.e2eRate} msg/s`,
    metric,
    unit: "ms",
    rocketbus: rb[metric],
    jetstream: js[metric],
    ceiling: ceiling[metric],
    higherIsBetter: false,
    ...(metric === "p99" ? { goals: [{ peer: "jetstream" as const, atMost: 1 }], why: "end-to-end-latency-at-p99" } : {}),
    note: metric === "p50" ? "ceiling: core NATS publish → subscribe through a relay process" : undefined,
  });
  return [row("p50"), row("p99")];
}
