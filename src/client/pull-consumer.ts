// RocketMQ's DefaultLitePullConsumer: the application asks for messages.
// Either assign(queues) explicitly, or subscribe(topic, tags) and let the
// group divide the queues. Queues are pulled in the background (long
// polling, flow control per queue); poll() hands out what is buffered.
// A message counts as consumed once poll() returned it: commit() (or the
// auto-commit every commitIntervalMs, on a rebalance and on close) stores
// the offset after the last polled message of each queue.
import type { NatsConnection } from "@nats-io/transport-node";
import type { ConsumedMessage } from "./broker-client.js";
import { ConsumerCore, type ConsumerOptions } from "./consumer-core.js";
import { Signal, type ProcessQueue } from "./process-queue.js";
import { queueKey, type MessageQueue } from "./route-cache.js";

export type { ConsumedMessage } from "./broker-client.js";
export type { CorruptRecord, StartFrom } from "./process-queue.js";
export type { MessageQueue } from "./route-cache.js";

export interface PullConsumerOptions extends ConsumerOptions {
  /** Commit polled offsets every commitIntervalMs (default true, as RocketMQ's lite consumer). */
  autoCommit?: boolean;
  /** Most messages one poll() returns (default 32). */
  maxPollRecords?: number;
}

export class PullConsumer extends ConsumerCore {
  private readonly arrivals = new Signal();
  private readonly maxPollRecords: number;
  private assigned = false;
  private pendingAssign: MessageQueue[] = [];
  /** Round-robin start for poll(), so no queue starves the others. */
  private next = 0;

  constructor(nc: NatsConnection, opts: PullConsumerOptions) {
    super(nc, opts);
    this.autoCommit = opts.autoCommit ?? true;
    this.maxPollRecords = opts.maxPollRecords ?? 32;
  }

  /** Group mode: the topic's queues are shared with the group's other members. */
  subscribe(topic: string, tags = "*"): this {
    if (this.assigned) throw new Error("assign() and subscribe() cannot be mixed");
    this.addSubscription(topic, tags);
    return this;
  }

  /** Explicit mode: read exactly these queues; replaces the previous assignment (released ones are committed). */
  async assign(queues: readonly MessageQueue[], tags = "*"): Promise<void> {
    if (this.subscriptions.size > 0 && !this.assigned) throw new Error("assign() and subscribe() cannot be mixed");
    this.assigned = true;
    for (const q of queues) this.addSubscription(q.topic, tags);
    const want = new Set(queues.map(queueKey));
    await this.release(this.assignment().filter((q) => !want.has(queueKey(q))));
    if (this.started) this.acquire(queues);
    else this.pendingAssign = [...queues];
  }

  /** Starts pulling; in subscribe mode resolves once the group gave this member its share. */
  async start(joinTimeoutMs = 10_000): Promise<void> {
    if (this.subscriptions.size === 0) throw new Error("nothing to read: call subscribe() or assign() before start()");
    this.startCore(!this.assigned);
    if (this.assigned) {
      this.acquire(this.pendingAssign);
      this.pendingAssign = [];
      return;
    }
    await this.ready(joinTimeoutMs).catch(() => this.log.warn("not balanced yet; still joining", {}));
  }

  /** Up to `max` (default maxPollRecords) buffered messages; waits up to timeoutMs for the first. */
  async poll(timeoutMs = 1000, max = this.maxPollRecords): Promise<ConsumedMessage[]> {
    if (!this.started) throw new Error("call start() before poll()");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = this.takeBuffered(max);
      if (out.length > 0 || this.closed) return out;
      const left = deadline - Date.now();
      if (left <= 0) return out;
      await this.arrivals.wait(left);
    }
  }

  /** Commits the offset after the last polled message of every assigned queue. */
  commit(): Promise<void> {
    return this.commitAll();
  }

  /** Reads `queue` from `offset` next; buffered messages of it are dropped. */
  seek(queue: MessageQueue, offset: number): void {
    const pq = this.queues.get(queueKey(queue));
    if (!pq) throw new Error(`queue ${queueKey(queue)} is not assigned to this consumer`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    pq.seek(offset);
  }

  /** The offset the next poll of `queue` starts from (undefined until known). */
  position(queue: MessageQueue): number | undefined {
    return this.queues.get(queueKey(queue))?.commitPoint();
  }

  /** Leaves the group (if subscribed), commits polled offsets (with autoCommit), stops. */
  async close(): Promise<void> {
    await this.closeCore();
    this.arrivals.notify();
  }

  protected opened(): void {
    this.arrivals.notify();
  }

  protected arrived(): void {
    this.arrivals.notify();
  }

  protected abandoned(): void {
    this.arrivals.notify();
  }

  protected async quiesce(_pq: ProcessQueue): Promise<void> {
    // poll() hands messages out synchronously: nothing is ever in flight.
  }

  private takeBuffered(max: number): ConsumedMessage[] {
    const pqs = [...this.queues.values()];
    const out: ConsumedMessage[] = [];
    for (let i = 0; i < pqs.length && out.length < max; i++) {
      const pq = pqs[(this.next + i) % pqs.length]!;
      out.push(...pq.take(max - out.length));
    }
    this.next = pqs.length > 0 ? (this.next + 1) % pqs.length : 0;
    return out;
  }
}
