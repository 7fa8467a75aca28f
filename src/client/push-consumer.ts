// RocketMQ's DefaultMQPushConsumer: subscribe, give a listener, start.
// Each assigned queue has one long-polling loop and one delivery loop: the
// listener sees a queue's messages one at a time, in queue order (queues
// are delivered concurrently). Offsets are committed every
// commitIntervalMs, when a queue is released by a rebalance, and on close.
//
// A listener that throws or answers "later" (RocketMQ's RECONSUME_LATER)
// has its message handed back to the broker (send-back.ts): it comes again
// through the group's retry topic after its backoff, or goes to the DLQ
// past maxReconsumeTimes, and the queue moves on. If the hand-back fails,
// the message is retried in place after retryMs, so the queue's offset
// never passes a message that is neither done nor handed back
// (at-least-once). Broadcasting consumers have no retry topic: they retry
// in place. A message held past consumeTimeoutMs is handed back too.
import type { NatsConnection } from "@nats-io/transport-node";
import type { ConsumedMessage } from "./broker-client.js";
import { ConsumeDeadline, sweepIntervalMs, TIMED_OUT } from "./consume-timeout.js";
import { ConsumerCore, type ConsumerOptions } from "./consumer-core.js";
import { Signal, type ProcessQueue } from "./process-queue.js";
import { sendBack } from "./send-back.js";
import { OrderlyDelivery, type OrderlyOptions } from "./orderly-consume.js";

export type { ConsumedMessage } from "./broker-client.js";
export type { CorruptRecord, StartFrom } from "./process-queue.js";

/** RocketMQ's ConsumeConcurrentlyStatus: CONSUME_SUCCESS, RECONSUME_LATER. */
export type ConsumeStatus = "success" | "later";

/** Nothing, or "success": done. "later", or a throw: handed back, to come again after the backoff. */
export type MessageListener = (msg: ConsumedMessage) => Promise<ConsumeStatus | void> | ConsumeStatus | void;

export interface PushConsumerOptions extends ConsumerOptions {
  listener?: MessageListener;
  /** Handed-back deliveries before the DLQ, when the group has no stored settings (RocketMQ: 16). */
  maxReconsumeTimes?: number;
  /** A message in the listener longer than this is handed back and its queue moves on (RocketMQ: 15 min). */
  consumeTimeoutMs?: number;
  /** Orderly: each queue only while this member holds its lock on the broker, failures retried in place (orderly-consume.ts). */
  orderly?: boolean | OrderlyOptions;
}

interface Delivery {
  signal: Signal;
  loop: Promise<void>;
  deadline: ConsumeDeadline;
}

const DEFAULT_CONSUME_TIMEOUT_MS = 15 * 60_000;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class PushConsumer extends ConsumerCore {
  private listener: MessageListener | undefined;
  private readonly deliveries = new Map<ProcessQueue, Delivery>();
  private readonly maxReconsumeTimes: number | undefined;
  private readonly consumeTimeoutMs: number;
  private sweep: NodeJS.Timeout | undefined;
  private readonly orderly: OrderlyDelivery | undefined;

  constructor(nc: NatsConnection, opts: PushConsumerOptions) {
    super(nc, opts);
    this.listener = opts.listener;
    this.maxReconsumeTimes = opts.maxReconsumeTimes;
    this.consumeTimeoutMs = opts.consumeTimeoutMs ?? DEFAULT_CONSUME_TIMEOUT_MS;
    if (opts.orderly && this.mode !== "clustering") throw new Error("orderly consumption needs clustering mode: queue locks are a group's");
    this.orderly = opts.orderly ? new OrderlyDelivery({
      nc, brokers: this.brokers, offsets: this.offsets, consumerGroup: this.group, clientId: this.clientId, log: this.log, listener: () => this.listener!,
    }, { maxReconsumeTimes: opts.maxReconsumeTimes, ...(opts.orderly === true ? {} : opts.orderly) }) : undefined;
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
    // handed-back messages come again through the group's retry topic, read as one more subscription
    if (this.mode === "clustering" && !this.orderly) this.subscribeRetryTopic();
    this.startCore(true);
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const d of this.deliveries.values()) d.deadline.check(now, this.consumeTimeoutMs);
    }, sweepIntervalMs(this.consumeTimeoutMs));
    this.sweep.unref();
    await this.ready(joinTimeoutMs).catch(() => this.log.warn("not balanced yet; still joining", {}));
  }

  /** Leaves the group: finishes the messages in the listener, commits, unregisters. */
  async close(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    await this.closeCore();
    this.orderly?.close();
  }

  protected opened(pq: ProcessQueue): void {
    if (this.orderly) return this.orderly.open(pq);
    const signal = new Signal();
    const delivery: Delivery = { signal, loop: Promise.resolve(), deadline: new ConsumeDeadline() };
    this.deliveries.set(pq, delivery);
    delivery.loop = this.deliver(pq, delivery);
  }

  protected arrived(pq: ProcessQueue): void {
    this.orderly?.arrived(pq);
    this.deliveries.get(pq)?.signal.notify();
  }

  protected abandoned(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.orderly?.abandoned();
    for (const d of this.deliveries.values()) d.signal.notify();
  }

  protected async quiesce(pq: ProcessQueue): Promise<void> {
    if (this.orderly) return this.orderly.quiesce(pq);
    const d = this.deliveries.get(pq);
    if (!d) return;
    d.signal.notify();
    await d.loop;
    this.deliveries.delete(pq);
  }

  /** Orderly: a released queue's lock goes once its offset is committed. */
  protected override async released(pqs: readonly ProcessQueue[]): Promise<void> {
    await this.orderly?.released(pqs);
  }

  private async deliver(pq: ProcessQueue, d: Delivery): Promise<void> {
    while (!pq.isDropped) {
      const m = pq.begin();
      if (!m) {
        await d.signal.wait();
        continue;
      }
      if (!(await this.consume(pq, d, m))) return; // dropped with it unfinished: the commit point stays on it
      pq.finish(m);
    }
  }

  /** One message until done or handed back (true), or its queue dropped first (false). */
  private async consume(pq: ProcessQueue, d: Delivery, m: ConsumedMessage): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        // A listener that returns no promise costs no microtask per message.
        const pending = this.listener!(m);
        let status: ConsumeStatus | void | typeof TIMED_OUT = pending as ConsumeStatus | void;
        if (pending && typeof pending === "object") {
          d.deadline.arm(Date.now());
          status = await Promise.race([pending, d.deadline.expired]);
          d.deadline.disarm();
          if (status === TIMED_OUT && (await this.timedOut(pq, m, pending))) return true;
          if (status === TIMED_OUT) status = await pending; // not handed back: wait for the listener after all
        }
        if (status !== "later") return true;
        failure = "the listener answered later";
      } catch (err) {
        d.deadline.disarm();
        failure = errorText(err);
      }
      if (this.mode === "clustering" && (await this.handBack(pq, m, failure, attempt))) return true;
      if (pq.isDropped) return false;
      if (!pq.isInFlight(m)) return true; // an offset reset moved the queue past it: read on from the new offset
      // Arrivals notify the same signal: sleep the whole backoff unless dropped.
      const until = Date.now() + Math.min(this.o.retryMs * attempt, 30 * this.o.retryMs);
      while (!pq.isDropped && pq.isInFlight(m) && Date.now() < until) await d.signal.wait(until - Date.now());
      if (pq.isDropped) return false;
      if (!pq.isInFlight(m)) return true;
    }
  }

  /** Sends a failed message back; false (logged) when the broker did not take it. */
  private async handBack(pq: ProcessQueue, m: ConsumedMessage, failure: unknown, attempt: number): Promise<boolean> {
    try {
      const r = await sendBack(this.brokers, this.group, pq.queue, m, this.maxReconsumeTimes === undefined ? {} : { maxReconsumeTimes: this.maxReconsumeTimes });
      this.log.debug("message handed back", { msgId: m.msgId, queue: pq.key, outcome: r.outcome, reconsumeTimes: r.reconsumeTimes, error: String(failure) });
      this.retryTopicUsed(pq.queue.group);
      return true;
    } catch (err) {
      this.log.warn("listener failed and the message could not be handed back; retrying it in place", {
        msgId: m.msgId, queue: pq.key, queueOffset: m.queueOffset, attempt, error: String(failure), sendBack: errorText(err),
      });
      return false;
    }
  }

  /** A listener held `m` past the consume timeout: handed back, its late answer ignored (true), or kept (false). */
  private async timedOut(pq: ProcessQueue, m: ConsumedMessage, pending: Promise<unknown>): Promise<boolean> {
    this.log.warn("listener held a message past the consume timeout; handing it back", { msgId: m.msgId, queue: pq.key, consumeTimeoutMs: this.consumeTimeoutMs });
    if (this.mode !== "clustering" || !(await this.handBack(pq, m, "consume timeout", 1))) return false;
    pending.catch(() => undefined); // its late failure has nowhere to go
    return true;
  }
}
