// (b) send latency with one message in flight.
import { Admin } from "../../src/client/admin.js";
import type { BenchCluster } from "../lib/cluster.js";
import { progress } from "../lib/progress.js";
import type { Row } from "../lib/report.js";
import { startProducer } from "../lib/rocketbus.js";
import { LatencyRecorder, type Latency } from "../lib/stats.js";
import { publishLatency, resetStream } from "../peers/jetstream.js";
import { requestReplyLatency } from "../peers/nats.js";
import type { Sizes } from "./sizes.js";

export async function sendLatency(c: BenchCluster, sizes: Sizes): Promise<Row[]> {
  const topic = "latency";
  await new Admin(c.nc).createTopic({ topic, queues: 4 });
  const producer = await startProducer(c.nc);
  const body = new Uint8Array(100).fill(97);
  const measure = async (n: number): Promise<Latency> => {
    const rec = new LatencyRecorder(n);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await producer.send({ topic, body });
      rec.add(performance.now() - t0);
    }
    return rec.summary();
  };
  await measure(Math.min(1000, sizes.latencySamples)); // warm-up
  progress(`(b) send latency × ${sizes.latencySamples}: Rocketbus, JetStream, bare NATS`);
  const rb = await measure(sizes.latencySamples);
  await producer.close();
  const js = await publishLatency(await resetStream(c.nc), { count: sizes.latencySamples, size: 100 });
  await requestReplyLatency(c.nc, { count: Math.min(1000, sizes.latencySamples), size: 100 });
  const ceiling = await requestReplyLatency(c.nc, { count: sizes.latencySamples, size: 100 });
  const row = (metric: "p50" | "p99" | "p999"): Row => ({
    scenario: "(b) send, 1 in flight",
    metric: metric === "p999" ? "p99.9" : metric,
    unit: "ms",
    rocketbus: rb[metric],
    jetstream: js[metric],
    ceiling: ceiling[metric],
    higherIsBetter: false,
    ...(metric === "p50" ? { goals: [{ peer: "ceiling" as const, atMost: 1.3 }], why: "send-latency" } : {}),
  });
  return [row("p50"), row("p99"), row("p999")];
}
