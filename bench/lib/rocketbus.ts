// The Rocketbus side of the scenarios: a producer pushing N messages with
// sendAsync as fast as backpressure allows, and the ack/latency plumbing.
import { Producer } from "../../src/client/producer.js";
import type { NatsConnection } from "@nats-io/transport-node";

export async function startProducer(nc: NatsConnection): Promise<Producer> {
  return new Producer(nc, { group: "bench" }).start();
}

/**
 * sendAsync `count` messages, waiting only when the producer says it is full; resolves when all are acked.
 * Several topics take the messages in turn.
 */
export async function sendAll(p: Producer, topic: string | readonly string[], count: number, body: (i: number) => Uint8Array): Promise<number> {
  const topics = typeof topic === "string" ? [topic] : topic;
  let acked = 0;
  let failed: unknown;
  let wake: (() => void) | undefined;
  const onAck = () => {
    if (++acked === count) wake?.();
  };
  const onFail = (err: unknown) => {
    failed ??= err;
    wake?.();
  };
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    if (!p.writable) await p.waitWritable();
    p.sendAsync({ topic: topics[i % topics.length]!, body: body(i) }).then(onAck, onFail);
  }
  if (acked < count && !failed) await new Promise<void>((r) => (wake = r));
  if (failed) throw failed;
  return performance.now() - t0;
}
