// (a) produce throughput: one producer, sendAsync with many in flight.
import { Admin } from "../../src/client/admin.js";
import type { BenchCluster } from "../lib/cluster.js";
import { progress } from "../lib/progress.js";
import type { Row } from "../lib/report.js";
import { sendAll, startProducer } from "../lib/rocketbus.js";
import { rate } from "../lib/stats.js";
import { publishRate, resetStream } from "../peers/jetstream.js";
import { requestReplyRate } from "../peers/nats.js";
import type { Sizes } from "./sizes.js";

export async function produce(c: BenchCluster, sizes: Sizes, size: number): Promise<Row> {
  const topic = `produce-${size}`;
  await new Admin(c.nc).createTopic({ topic, queues: 4 });
  const producer = await startProducer(c.nc);
  const body = new Uint8Array(size).fill(97);
  await sendAll(producer, topic, Math.min(20_000, sizes.produce), () => body); // warm-up
  progress(`(a) ${size} B: Rocketbus sendAsync × ${sizes.produce}`);
  const ms = await sendAll(producer, topic, sizes.produce, () => body);
  await producer.close();
  progress(`(a) ${size} B: JetStream async publish × ${sizes.produceJetStream}`);
  const js = await resetStream(c.nc);
  const jetstream = await publishRate(js, { messages: sizes.produceJetStream, size, window: 1000 });
  progress(`(a) ${size} B: NATS request/reply carrying 256 messages`);
  const ceiling = await requestReplyRate(c.nc, { messages: sizes.produce, size, perRequest: 256, inFlight: 64 });
  const rocketbus = rate(sizes.produce, ms);
  return {
    scenario: `(a) produce, ${size} B`,
    metric: "throughput",
    unit: "msgs/s",
    rocketbus,
    jetstream,
    ceiling,
    higherIsBetter: true,
    goals: size === 100 ? [{ peer: "jetstream", atLeast: 20 }, { peer: "ceiling", atLeast: 0.5 }] : [{ peer: "jetstream", atLeast: 8 }],
    why: "produce-throughput-where-it-stops",
    note: size === 100 ? "Rocketbus: persisted (async flush, RocketMQ's default) and acknowledged per message; JetStream: 1 000 acks outstanding; ceiling: 256 messages per request, 64 requests in flight" : undefined,
  };
}
