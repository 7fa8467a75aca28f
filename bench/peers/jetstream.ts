// What a NATS user would pick instead: JetStream, file storage, one
// replica, through @nats-io/jetstream, on the same server and payloads.
import { DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, StorageType, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { LatencyRecorder, atFixedRate, rate, type Latency } from "../lib/stats.js";

export const STREAM = "BENCH";
export const SUBJECT = "bench.js";

export async function resetStream(nc: NatsConnection): Promise<JetStreamClient> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(STREAM).catch(() => undefined);
  await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File, num_replicas: 1, discard: DiscardPolicy.Old });
  return jetstream(nc);
}

/** Async publish with `window` acks outstanding: JetStream's per-message best. */
export async function publishRate(js: JetStreamClient, opts: { messages: number; size: number; window: number }): Promise<number> {
  const payload = new Uint8Array(opts.size);
  const pending = new Set<Promise<unknown>>();
  const t0 = performance.now();
  for (let i = 0; i < opts.messages; i++) {
    const p = js.publish(SUBJECT, payload).finally(() => pending.delete(p));
    pending.add(p);
    if (pending.size >= opts.window) await Promise.race(pending);
  }
  await Promise.all(pending);
  return rate(opts.messages, performance.now() - t0);
}

export async function publishLatency(js: JetStreamClient, opts: { count: number; size: number }): Promise<Latency> {
  const payload = new Uint8Array(opts.size);
  const rec = new LatencyRecorder(opts.count);
  for (let i = 0; i < opts.count; i++) {
    const t0 = performance.now();
    await js.publish(SUBJECT, payload);
    rec.add(performance.now() - t0);
  }
  return rec.summary();
}

/**
 * Send at a fixed rate; a consumer in the same process measures publish →
 * delivery. The first `warmup` messages are sent but not counted.
 */
export async function endToEndLatency(js: JetStreamClient, opts: { count: number; warmup: number; perSecond: number; size: number }): Promise<Latency> {
  const consumer = await js.consumers.get(STREAM, { deliver_policy: DeliverPolicy.New });
  const messages = await consumer.consume({ max_messages: 1000 });
  const rec = new LatencyRecorder(opts.count);
  const done = (async () => {
    for await (const m of messages) {
      const view = new DataView(m.data.buffer, m.data.byteOffset);
      if (view.getFloat64(8) >= opts.warmup) rec.add(performance.now() - view.getFloat64(0));
      if (rec.count >= opts.count) break;
    }
  })();
  const payload = new Uint8Array(Math.max(16, opts.size));
  const view = new DataView(payload.buffer);
  await atFixedRate(opts.warmup + opts.count, opts.perSecond, (i) => {
    view.setFloat64(0, performance.now());
    view.setFloat64(8, i);
    void js.publish(SUBJECT, payload.slice());
  });
  await done;
  await messages.close();
  return rec.summary();
}

/** Fills the stream fast (core publishes the stream captures, then a flush). */
export async function fill(nc: NatsConnection, opts: { messages: number; size: number }): Promise<void> {
  const payload = new Uint8Array(opts.size);
  for (let i = 0; i < opts.messages; i++) {
    nc.publish(SUBJECT, payload);
    if (i % 10_000 === 9_999) await nc.flush();
  }
  await nc.flush();
  const jsm = await jetstreamManager(nc);
  for (;;) {
    const info = await jsm.streams.info(STREAM);
    if (info.state.messages >= opts.messages) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Publishes `size`-byte messages until the stream holds at least `bytes`
 * (large messages: a flush every few, so the client never buffers much).
 */
export async function fillBytes(nc: NatsConnection, opts: { bytes: number; size: number }): Promise<void> {
  const payload = new Uint8Array(opts.size).fill(106);
  const every = Math.max(1, Math.floor((4 << 20) / opts.size));
  const count = Math.ceil(opts.bytes / opts.size);
  for (let i = 0; i < count; i++) {
    nc.publish(SUBJECT, payload);
    if (i % every === every - 1) await nc.flush();
  }
  await nc.flush();
  const jsm = await jetstreamManager(nc);
  while ((await jsm.streams.info(STREAM)).state.messages < count) await new Promise((r) => setTimeout(r, 50));
}

/** Reads the whole stream with an ordered consumer; returns msgs/s. */
export async function drainRate(js: JetStreamClient, messages: number): Promise<number> {
  const consumer = await js.consumers.get(STREAM);
  const t0 = performance.now();
  const iter = await consumer.consume({ max_messages: 1000 });
  let n = 0;
  for await (const _ of iter) if (++n >= messages) break;
  const ms = performance.now() - t0;
  await iter.close();
  return rate(n, ms);
}

export async function streamBytes(nc: NatsConnection): Promise<{ messages: number; bytes: number }> {
  const info = await (await jetstreamManager(nc)).streams.info(STREAM);
  return { messages: info.state.messages, bytes: info.state.bytes };
}
