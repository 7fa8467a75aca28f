// What the retry tests share: rbus nameserver and rbus broker as separate
// processes (the broker with delay levels of a few hundred ms, so the
// backoff of attempt n is 100 ms × (n + 2)), topics made through the
// admin client, messages sent by a producer in the test process, and a
// push consumer in the test process recording every delivery.
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { PushConsumer, type ConsumeStatus, type ConsumedMessage, type PushConsumerOptions } from "../../src/client/push-consumer.js";
import type { ProcessCtx } from "../harness/process-suite.js";
import { spawnRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

export const BROKER = "broker-r";
/** Level n waits n × 100 ms: a first retry (level 3) 300 ms, a second (level 4) 400 ms. */
export const LEVELS = Array.from({ length: 18 }, (_, i) => `${(i + 1) * 100}ms`).join(" ");
export const levelMs = (level: number) => level * 100;

export async function startRetryCluster(ctx: ProcessCtx): Promise<void> {
  const url = ctx.server.url;
  ctx.procs.push(spawnRbus(["nameserver", "--nats", url, "--id", "ns-1"]));
  ctx.procs.push(spawnRbus(["broker", "--nats", url, "--broker-group", BROKER, "--data", join(ctx.dir, BROKER), "--heartbeat-interval", "1000", "--delay-levels", LEVELS]));
  const admin = new Admin(ctx.nc);
  await waitUntil("the broker registered", async () => (await admin.cluster()).brokers.length === 1, { timeoutMs: 15_000 });
}

export async function createTopic(nc: NatsConnection, topic: string, queues = 2): Promise<void> {
  const admin = new Admin(nc);
  await admin.createTopic({ topic, queues });
  await waitUntil(`route of ${topic}`, async () => (await admin.route(topic).catch(() => undefined))?.groups.length === 1);
}

/** Sends bodies "0".."n-1" (as `${prefix}i`); resolves with their message ids in order. */
export async function produce(nc: NatsConnection, topic: string, n: number, prefix = ""): Promise<string[]> {
  const producer = await new Producer(nc).start();
  try {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await producer.send({ topic, body: `${prefix}${i}`, keys: `k${i}` })).msgId);
    return ids;
  } finally {
    await producer.close();
  }
}

export interface Delivery {
  body: string;
  msgId: string;
  topic: string;
  reconsumeTimes: number;
  originMsgId: string | undefined;
  originTopic: string | undefined;
  at: number;
}

export const record = (m: ConsumedMessage): Delivery => ({
  body: m.body.toString(), msgId: m.msgId, topic: m.topic, reconsumeTimes: m.reconsumeTimes ?? 0,
  originMsgId: m.originMsgId, originTopic: m.originTopic, at: Date.now(),
});

/** A started push consumer of `topic` whose every delivery lands in `seen` before `decide` answers for it. */
export async function consumer(
  nc: NatsConnection, group: string, topic: string, seen: Delivery[],
  decide: (d: Delivery) => ConsumeStatus | void | Promise<ConsumeStatus | void>, opts: Partial<PushConsumerOptions> = {},
): Promise<PushConsumer> {
  const c = new PushConsumer(nc, { group, from: "first", retryMs: 200, rebalanceMs: 2000, heartbeatMs: 1000, commitIntervalMs: 500, ...opts });
  c.subscribe(topic).onMessage((m) => {
    const d = record(m);
    seen.push(d);
    return decide(d);
  });
  await c.start();
  return c;
}

/** Deliveries per body. */
export function byBody(seen: readonly Delivery[]): Map<string, Delivery[]> {
  const out = new Map<string, Delivery[]>();
  for (const d of seen) out.set(d.body, [...(out.get(d.body) ?? []), d]);
  return out;
}
