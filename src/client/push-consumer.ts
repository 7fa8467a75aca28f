// RocketMQ's DefaultMQPushConsumer: subscribe, give a listener, start.
// Each assigned queue has one long-polling loop and one delivery loop: the
// listener sees a queue's messages one at a time, in queue order (queues
// are delivered concurrently). A message whose listener throws is retried
// after retryMs, in place, so the queue's order holds and its offset never
// passes it (at-least-once). Offsets are committed every commitIntervalMs,
// when a queue is released by a rebalance, and on close.
import type { NatsConnection } from "@nats-io/transport-node";
import type { ConsumedMessage } from "./broker-client.js";
import { ConsumerCore, type ConsumerOptions } from "./consumer-core.js";
import { Signal, type ProcessQueue } from "./process-queue.js";

export type { ConsumedMessage } from "./broker-client.js";
export type { CorruptRecord, StartFrom } from "./process-queue.js";

export type MessageListener = (msg: ConsumedMessage) => Promise<void> | void;

export interface PushConsumerOptions extends ConsumerOptions {
  listener?: MessageListener;
}

interface Delivery {
  signal: Signal;
  loop: Promise<void>;
}

export class PushConsumer extends ConsumerCore {
  private listener: MessageListener | undefined;
  private readonly deliveries = new Map<ProcessQueue, Delivery>();

  constructor(nc: NatsConnection, opts: PushConsumerOptions) {
    super(nc, opts);
    this.listener = opts.listener;
  }

  /** `tags`: "*" or "tagA || tagB" (RocketMQ's subscription expression). */
  subscribe(topic: string, tags = "*"): this {
    this.addSubscription(topic, tags);
    return this;
  }

  onMessage(listener: MessageListener): this {
    this.listener = listener;
    return this;
  }

  /** Joins the group; resolves once the first assignment is made (or after joinTimeoutMs, still joining). */
  async start(joinTimeoutMs = 10_000): Promise<void> {
    if (!this.listener) throw new Error("no listener: call onMessage(listener) before start()");
    if (this.subscriptions.size === 0) throw new Error("no subscription: call subscribe(topic) before start()");
    this.startCore(true);
    await this.ready(joinTimeoutMs).catch(() => this.log.warn("not balanced yet; still joining", {}));
  }

  /** Leaves the group: finishes the messages in the listener, commits, unregisters. */
  close(): Promise<void> {
    return this.closeCore();
  }

  protected opened(pq: ProcessQueue): void {
    const signal = new Signal();
    const delivery: Delivery = { signal, loop: Promise.resolve() };
    this.deliveries.set(pq, delivery);
    delivery.loop = this.deliver(pq, signal);
  }

  protected arrived(pq: ProcessQueue): void {
    this.deliveries.get(pq)?.signal.notify();
  }

  protected abandoned(): void {
    for (const d of this.deliveries.values()) d.signal.notify();
  }

  protected async quiesce(pq: ProcessQueue): Promise<void> {
    const d = this.deliveries.get(pq);
    if (!d) return;
    d.signal.notify();
    await d.loop;
    this.deliveries.delete(pq);
  }

  private async deliver(pq: ProcessQueue, signal: Signal): Promise<void> {
    while (!pq.isDropped) {
      const m = pq.begin();
      if (!m) {
        await signal.wait();
        continue;
      }
      for (let attempt = 1; ; attempt++) {
        try {
          // A listener that returns no promise costs no microtask per message.
          const pending = this.listener!(m);
          if (pending) await pending;
          break;
        } catch (err) {
          this.log.warn("listener failed; retrying the message", {
            msgId: m.msgId, queue: pq.key, queueOffset: m.queueOffset, attempt, error: err instanceof Error ? err.message : String(err),
          });
          if (pq.isDropped) return; // not finished: the commit point stays on it
          if (!pq.isInFlight(m)) break; // an offset reset moved the queue past it: read on from the new offset
          // Arrivals notify the same signal: sleep the whole backoff unless dropped.
          const until = Date.now() + Math.min(this.o.retryMs * attempt, 30 * this.o.retryMs);
          while (!pq.isDropped && pq.isInFlight(m) && Date.now() < until) await signal.wait(until - Date.now());
          if (pq.isDropped) return;
          if (!pq.isInFlight(m)) break;
        }
      }
      pq.finish(m);
    }
  }
}
