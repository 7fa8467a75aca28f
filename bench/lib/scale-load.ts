// The loads of the scale curves: n producers (each on its own NATS
// connection, as separate processes would be) sharing a fixed amount of
// sendAsync work, sends timed one in flight per producer, and a consumer
// group of n members balanced before it is timed.
import { Producer } from "../../src/client/producer.js";
import { PushConsumer, type ConsumedMessage } from "../../src/client/push-consumer.js";
import { connectNats } from "../../src/runtime/nats.js";
import { waitUntil } from "../../test/harness/wait.js";
import { sendAll } from "./rocketbus.js";
import { LatencyRecorder, type Latency } from "./stats.js";

export interface Clients<T> {
  list: T[];
  close(): Promise<void>;
}

export async function startProducers(url: string, n: number): Promise<Clients<Producer>> {
  const conns = await Promise.all(Array.from({ length: n }, (_, k) => connectNats(url, `rbus-bench-producer-${k}`, { noAsyncTraces: true })));
  const list = await Promise.all(conns.map((nc) => new Producer(nc, { group: "bench-scale" }).start()));
  return {
    list,
    async close() {
      await Promise.all(list.map((p) => p.close()));
      await Promise.all(conns.map((nc) => nc.close()));
    },
  };
}

/** `count` sendAsync shared by the producers, all at once; resolves with the elapsed ms once every one is acked. */
export async function sendShared(producers: Producer[], topics: readonly string[], count: number, body: Uint8Array): Promise<number> {
  const t0 = performance.now();
  const share = Math.ceil(count / producers.length);
  // each producer starts on its own topic, so that n producers over n topics do not all write the same one
  await Promise.all(producers.map((p, k) => sendAll(p, [...topics.slice(k % topics.length), ...topics.slice(0, k % topics.length)], share, () => body)));
  return performance.now() - t0;
}

/** About `samples` sends, one in flight per producer, all producers at once. */
export async function sendLatency(producers: Producer[], topics: readonly string[], samples: number, body: Uint8Array): Promise<Latency> {
  const per = Math.max(1, Math.ceil(samples / producers.length));
  const rec = new LatencyRecorder(per * producers.length);
  await Promise.all(
    producers.map(async (p, k) => {
      for (let i = 0; i < per; i++) {
        const t0 = performance.now();
        await p.send({ topic: topics[(k + i) % topics.length]!, body });
        rec.add(performance.now() - t0);
      }
    }),
  );
  return rec.summary();
}

/**
 * n members of one group on `topic`, each on its own connection, with
 * quick heartbeats and rebalances; resolves once every member holds its
 * even share of the `queues`, so that no rebalance falls in a timed run.
 */
export async function startGroup(url: string, group: string, topic: string, n: number, queues: number, listener: (m: ConsumedMessage) => void): Promise<Clients<PushConsumer>> {
  const conns = await Promise.all(Array.from({ length: n }, (_, k) => connectNats(url, `rbus-bench-consumer-${k}`, { noAsyncTraces: true })));
  const list = conns.map((nc) => new PushConsumer(nc, { group, from: "first", heartbeatMs: 250, rebalanceMs: 250, handoverMs: 0 }).subscribe(topic).onMessage(listener));
  await Promise.all(list.map((c) => c.start()));
  const share = Math.floor(queues / n);
  await waitUntil(`${n} members of ${group} holding ${share} queues each`, () => list.every((c) => c.assignment().length === share), { timeoutMs: 30_000 });
  return {
    list,
    async close() {
      await Promise.all(list.map((c) => c.close()));
      await Promise.all(conns.map((nc) => nc.close()));
    },
  };
}

/** Counts deliveries; `until(n)` resolves when the count reaches n. */
export class DeliveryCount {
  private n = 0;
  private goal = Infinity;
  private reached: (() => void) | undefined;
  readonly onMessage = (): void => {
    if (++this.n >= this.goal) this.reached?.();
  };
  get count(): number {
    return this.n;
  }
  until(goal: number, timeoutMs: number): Promise<void> {
    if (this.n >= goal) return Promise.resolve();
    this.goal = goal;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.n} of ${goal} messages delivered in ${timeoutMs} ms`)), timeoutMs);
      this.reached = () => {
        clearTimeout(timer);
        this.reached = undefined;
        resolve();
      };
    });
  }
}
