// What the timer tests across processes share: sending timer messages with
// random delivery times, reading back every queue of the real topic from a
// replica, and the checker: each message stored once, none before its time.
import type { NatsConnection } from "@nats-io/transport-node";
import type { Producer } from "../../src/client/producer.js";
import { Prop } from "../../src/protocol/system-topics.js";
import { decodeJson, encodeJson, subjects, type WireMessage } from "../../src/protocol/index.js";
import { pullQueue } from "../harness/replica-io.js";

/**
 * Sends `n` messages due at random times in [now + fromMs, now + fromMs +
 * windowMs), `concurrency` at a time, in due order (each is sent before it
 * is due while the sends keep ahead). Resolves with each body's due time.
 */
export async function sendTimers(producer: Producer, topic: string, n: number, fromMs: number, windowMs: number, concurrency = 64): Promise<Map<string, number>> {
  const due = new Map<string, number>();
  const start = Date.now() + fromMs;
  const times = Array.from({ length: n }, () => start + Math.floor(Math.random() * windowMs)).sort((a, b) => a - b);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const at = times[i]!;
      const body = `t${i}`;
      due.set(body, at);
      await producer.send({ topic, body, deliverAt: at });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return due;
}

/** Every message of `topic`'s queues on one replica. */
export async function readTopic(nc: NatsConnection, group: string, replica: number, topic: string, queues: number): Promise<WireMessage[]> {
  const out: WireMessage[] = [];
  for (let q = 0; q < queues; q++) out.push(...(await pullQueue(nc, group, replica, { topic, queueId: q, consumerGroup: "timer-check" })));
  return out;
}

export interface TimerCheck {
  problems: string[];
  delivered: number;
  /** storedAt − due, ms, of each delivery (sorted). */
  lateness: number[];
}

/** Each sent body stored once, at or after its due time, marked with TIMER_QUEUE_OFFSET; nothing else in the topic. */
export function checkTimers(stored: WireMessage[], due: Map<string, number>): TimerCheck {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const lateness: number[] = [];
  for (const m of stored) {
    const at = due.get(m.body);
    if (at === undefined) {
      problems.push(`${m.body}: never sent`);
      continue;
    }
    seen.set(m.body, (seen.get(m.body) ?? 0) + 1);
    if (m.storedAt < at) problems.push(`${m.body}: stored at ${m.storedAt}, ${at - m.storedAt} ms before its time`);
    if (m.properties[Prop.timerQueueOffset] === undefined) problems.push(`${m.body}: no ${Prop.timerQueueOffset}`);
    lateness.push(m.storedAt - at);
  }
  for (const [body, n] of seen) if (n > 1) problems.push(`${body}: stored ${n} times`);
  for (const body of due.keys()) if (!seen.has(body)) problems.push(`${body}: never delivered`);
  lateness.sort((a, b) => a - b);
  return { problems, delivered: seen.size, lateness };
}

export const percentile = (sorted: number[], q: number): number => sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export interface BrokerTimerStatus {
  running: boolean;
  pending: number;
  delivered: number;
}

/** A replica's timer status, or undefined when it does not answer. */
export async function timerStatus(nc: NatsConnection, group: string, replica: number): Promise<BrokerTimerStatus | undefined> {
  try {
    const r = await nc.request(subjects().broker(group, replica, "status"), encodeJson({}), { timeout: 1000 });
    return (decodeJson(r.data) as { timers?: BrokerTimerStatus }).timers;
  } catch {
    return undefined;
  }
}
