// RocketMQ's DefaultMQPushConsumer: subscribe, give a listener, start.
// Each assigned queue has one long-polling loop and one delivery loop: the
// listener sees a queue's messages one at a time, in queue order (queues
// are delivered concurrently). Offsets are committed every
// commitIntervalMs, when a queue is released by a rebalance, and on close.
//
// A listener that throws or answers "later" (RocketMQ's RECONSUME_LATER)
// has its message handed back to the broker: it comes again through the
// group's retry topic after its backoff, or goes to the DLQ past
// maxReconsumeTimes, and the queue moves on (concurrent-delivery.ts). A
// message held past consumeTimeoutMs is handed back too. Orderly
// consumers hold queue locks and retry in place (orderly-consume.ts).
import type { NatsConnection } from "@nats-io/transport-node";
import { ConcurrentDelivery, sweepIntervalMs, type MessageListener } from "./concurrent-delivery.js";
import { ConsumerCore, type ConsumerOptions } from "./consumer-core.js";
import type { ProcessQueue } from "./process-queue.js";
import { OrderlyDelivery, type OrderlyOptions } from "./orderly-consume.js";

export type { ConsumedMessage } from "./broker-client.js";
export type { CorruptRecord, StartFrom } from "./process-queue.js";
export type { ConsumeStatus, MessageListener } from "./concurrent-delivery.js";

export interface PushConsumerOptions extends ConsumerOptions {
  listener?: MessageListener;
  /** Handed-back deliveries before the DLQ, when the group has no stored settings (RocketMQ: 16). */
  maxReconsumeTimes?: number;
  /** A message in the listener longer than this is handed back and its queue moves on (RocketMQ: 15 min). */
  consumeTimeoutMs?: number;
  /** Orderly: each queue only while this member holds its lock on the broker, failures retried in place (orderly-consume.ts). */
  orderly?: boolean | OrderlyOptions;
}

const DEFAULT_CONSUME_TIMEOUT_MS = 15 * 60_000;

export class PushConsumer extends ConsumerCore {
  private listener: MessageListener | undefined;
  private readonly consumeTimeoutMs: number;
  private sweep: NodeJS.Timeout | undefined;
  private readonly concurrent: ConcurrentDelivery;
  private readonly orderly: OrderlyDelivery | undefined;

  constructor(nc: NatsConnection, opts: PushConsumerOptions) {
    super(nc, opts);
    this.listener = opts.listener;
    this.consumeTimeoutMs = opts.consumeTimeoutMs ?? DEFAULT_CONSUME_TIMEOUT_MS;
    this.concurrent = new ConcurrentDelivery({
      brokers: this.brokers, consumerGroup: this.group, handsBack: this.mode === "clustering", maxReconsumeTimes: opts.maxReconsumeTimes,
      consumeTimeoutMs: this.consumeTimeoutMs, retryMs: this.o.retryMs, log: this.log, listener: () => this.listener!,
      handedBack: (brokerGroup) => this.retryTopicUsed(brokerGroup),
    });
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
    if (!this.orderly) {
      this.sweep = setInterval(() => this.concurrent.sweep(Date.now()), sweepIntervalMs(this.consumeTimeoutMs));
      this.sweep.unref();
    }
    await this.ready(joinTimeoutMs).catch(() => this.log.warn("not balanced yet; still joining", {}));
  }

  /** Leaves the group: finishes the messages in the listener, commits, unregisters. */
  async close(): Promise<void> {
    await this.closeCore();
    if (this.sweep) clearInterval(this.sweep);
    this.orderly?.close();
  }

  protected opened(pq: ProcessQueue): void {
    if (this.orderly) return this.orderly.open(pq);
    this.concurrent.open(pq);
  }

  protected arrived(pq: ProcessQueue): void {
    this.orderly?.arrived(pq);
    this.concurrent.arrived(pq);
  }

  protected abandoned(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.orderly?.abandoned();
    this.concurrent.wakeAll();
  }

  protected async quiesce(pq: ProcessQueue): Promise<void> {
    if (this.orderly) return this.orderly.quiesce(pq);
    await this.concurrent.quiesce(pq);
  }

  /** Orderly: a released queue's lock goes once its offset is committed. */
  protected override async released(pqs: readonly ProcessQueue[]): Promise<void> {
    await this.orderly?.released(pqs);
  }
}
