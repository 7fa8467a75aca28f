// One assigned queue on the consumer side (RocketMQ's ProcessQueue and
// PullMessageService in one): a long-polling loop that fills a buffer,
// stopped while the buffer is full (flow control), and the commit point:
// the offset of the first message not yet done, so a commit never passes
// an unprocessed message. Messages are taken and finished in queue order.
import { Fifo } from "./fifo.js";
import { ErrorCode, PullStatus, RbusError } from "../protocol/index.js";
import type { Logger } from "../runtime/log.js";
import type { BrokerClient, ConsumedMessage } from "./broker-client.js";
import type { OffsetStore } from "./offset-store.js";
import { queueKey, type MessageQueue } from "./route-cache.js";

/** A damaged record the broker could not serve (CORRUPT_RECORD): reported, then stepped over. */
export interface CorruptRecord {
  queue: MessageQueue;
  queueOffset: number;
  commitLogOffset: number;
  /** Where reading went on. */
  nextOffset: number;
  message: string;
}

/** Where a queue with no committed offset starts (RocketMQ's ConsumeFromWhere). */
export type StartFrom = "first" | "last" | { timestamp: number };

/** Resolves waiters on the next notify(); nothing is remembered between. */
export class Signal {
  private waiters: Array<() => void> = [];
  wait(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
      if (timeoutMs !== undefined) timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      }, timeoutMs);
    });
  }
  notify(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}

export interface ProcessQueueOptions {
  brokers: BrokerClient;
  offsets: OffsetStore;
  consumerGroup: string;
  /** Subscription expression sent to the broker ("*" or "a || b"). */
  tags: string;
  /** The exact tags to keep (the broker filters by hash); undefined for all. */
  tagSet: ReadonlySet<string> | undefined;
  from: StartFrom;
  pullBatch: number;
  /** Long-poll hold asked of the broker. */
  waitMs: number;
  maxBuffered: number;
  /** Wait after a failed pull before the next. */
  retryMs: number;
  log: Logger;
  /** Called when messages were added to the buffer. */
  onArrive: (pq: ProcessQueue) => void;
  /** Called once per damaged record, before reading goes on after it. */
  onCorrupt: (report: CorruptRecord) => void;
}

export class ProcessQueue {
  readonly key: string;
  private readonly buffer = new Fifo<ConsumedMessage>();
  /** Taken by the consumer and not yet done (at most one: delivery is in order). */
  private inFlight: ConsumedMessage | undefined;
  /** Where the next pull starts; undefined until the start offset is known. */
  private pullOffset: number | undefined;
  /** Bumped by seek: a pull that began before it is discarded. */
  private generation = 0;
  private dropped = false;
  private readonly wakeup = new Signal();
  /** The commit point last handed to the offset store. */
  private stored: number | undefined;
  readonly done: Promise<void>;

  constructor(
    readonly queue: MessageQueue,
    private readonly opts: ProcessQueueOptions,
  ) {
    this.key = queueKey(queue);
    this.done = this.run();
  }

  get isDropped(): boolean {
    return this.dropped;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** The offset to commit: the first message not done, or where pulling got to. */
  commitPoint(): number | undefined {
    return this.inFlight?.queueOffset ?? this.buffer.peek()?.queueOffset ?? this.pullOffset;
  }

  /**
   * Asked at each storeOffset: an orderly queue hands its commit point on only
   * while its lock is trusted and it was read from the offset committed under it.
   */
  mayCommit: () => boolean = () => true;

  /** Hands the commit point to the offset store when it moved; true if it did. */
  storeOffset(): boolean {
    if (!this.mayCommit()) return false;
    const at = this.commitPoint();
    if (at === undefined || at === this.stored) return false;
    this.opts.offsets.update(this.queue, at);
    this.stored = at;
    return true;
  }

  /** The next message for an in-order listener: it stays in flight until finish(). */
  begin(): ConsumedMessage | undefined {
    if (this.inFlight || this.dropped) return undefined;
    this.inFlight = this.buffer.shift();
    if (this.inFlight && this.buffer.length < this.opts.maxBuffered) this.wakeup.notify();
    return this.inFlight;
  }

  /** Whether `m` is still the message in flight (a reset or drop ends that). */
  isInFlight(m: ConsumedMessage): boolean {
    return this.inFlight === m;
  }

  finish(m: ConsumedMessage): void {
    if (this.inFlight === m) this.inFlight = undefined;
  }

  /** Up to `max` messages, done as soon as taken (poll semantics). */
  take(max: number): ConsumedMessage[] {
    if (this.dropped) return [];
    const out = this.buffer.take(max);
    if (out.length > 0) this.wakeup.notify();
    return out;
  }

  /** Reads from `offset` next; what is buffered is dropped. */
  seek(offset: number): void {
    this.generation++;
    this.buffer.clear();
    this.pullOffset = offset;
    this.wakeup.notify();
  }

  /**
   * An offset reset: reads from `offset` next, as if the queue had just
   * been opened there. What is buffered goes, and the message in the
   * listener is no longer the commit point (its finish() changes nothing),
   * so no position from before the reset is handed to the offset store.
   */
  resetTo(offset: number): void {
    this.inFlight = undefined;
    this.stored = undefined;
    this.seek(offset);
  }

  /** Stops pulling; a pull in flight is discarded when it returns. */
  drop(): void {
    this.dropped = true;
    this.wakeup.notify();
  }

  private async run(): Promise<void> {
    const { log } = this.opts;
    let failures = 0;
    while (!this.dropped) {
      try {
        if (this.pullOffset === undefined) {
          const start = await this.startOffset();
          if (this.pullOffset === undefined) this.pullOffset = start; // a seek meanwhile wins
          continue;
        }
        if (this.buffer.length >= this.opts.maxBuffered) {
          await this.wakeup.wait(); // flow control: the consumer takes, then notifies
          continue;
        }
        await this.pullOnce();
        failures = 0;
      } catch (err) {
        if (this.dropped) break;
        if (err instanceof RbusError && err.code === ErrorCode.CORRUPT_RECORD && this.stepOver(err)) {
          failures = 0;
          continue;
        }
        if (err instanceof RbusError && err.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
          log.warn("offset out of range; continuing from the queue's end", { queue: this.key, offset: this.pullOffset });
          const p = await this.opts.brokers.queryOffset(this.opts.consumerGroup, this.queue).catch(() => undefined);
          if (p) {
            this.seek(p.maxOffset);
            continue;
          }
        }
        failures++;
        if (failures === 1 || failures % 20 === 0) {
          log.warn("pull failed; retrying", { queue: this.key, error: err instanceof Error ? err.message : String(err), failures });
        }
        await this.wakeup.wait(Math.min(this.opts.retryMs * failures, 5 * this.opts.retryMs));
      }
    }
  }

  /**
   * A pull met a damaged record: report it and read on from the offset the
   * broker names, so the queue neither stalls on it nor loses it silently.
   * False (retry as any failure) when the error does not name an offset
   * past the one asked for: stepping back or in place would loop.
   */
  private stepOver(err: RbusError): boolean {
    const at = this.pullOffset!;
    const d = err.details ?? {};
    const next = d.nextOffset;
    if (typeof next !== "number" || !Number.isSafeInteger(next) || next <= at) return false;
    const report: CorruptRecord = {
      queue: this.queue,
      queueOffset: typeof d.queueOffset === "number" ? d.queueOffset : at,
      commitLogOffset: typeof d.commitLogOffset === "number" ? d.commitLogOffset : -1,
      nextOffset: next,
      message: err.message,
    };
    this.opts.log.error("damaged record in the queue; reported and stepped over", {
      queue: this.key, queueOffset: report.queueOffset, commitLogOffset: report.commitLogOffset, nextOffset: next, error: err.message,
    });
    this.pullOffset = next;
    try {
      this.opts.onCorrupt(report);
    } catch (e) {
      this.opts.log.warn("corrupt-record listener failed", { queue: this.key, error: e instanceof Error ? e.message : String(e) });
    }
    return true;
  }

  /** The committed offset, else where `from` says (RocketMQ: CONSUME_FROM_FIRST/LAST_OFFSET/TIMESTAMP). */
  private async startOffset(): Promise<number> {
    const committed = await this.opts.offsets.read(this.queue);
    this.stored = committed;
    if (committed !== undefined) return committed;
    const { from, brokers } = this.opts;
    if (typeof from === "object") return brokers.offsetForTimestamp(this.queue, from.timestamp);
    const p = await brokers.queryOffset(this.opts.consumerGroup, this.queue);
    return from === "first" ? p.minOffset : p.maxOffset;
  }

  private async pullOnce(): Promise<void> {
    const gen = this.generation;
    const offset = this.pullOffset!;
    const o = this.opts;
    const r = await o.brokers.pull(o.consumerGroup, this.queue, offset, o.pullBatch, o.waitMs, o.tags);
    if (this.dropped || gen !== this.generation) return;
    if (r.status === PullStatus.OFFSET_MOVED) {
      o.log.warn("offset moved: messages before it are gone", { queue: this.key, from: offset, to: r.nextOffset });
    }
    let kept = 0;
    for (const m of r.messages) {
      // The broker filters by tag hash; hashes can collide.
      if (m.queueOffset < offset || (o.tagSet && !o.tagSet.has(m.tags))) continue;
      this.buffer.push(m);
      kept++;
    }
    this.pullOffset = r.nextOffset;
    if (kept > 0) o.onArrive(this);
    else if (r.status === PullStatus.NO_NEW_MSG && o.waitMs === 0) await this.wakeup.wait(o.retryMs);
  }
}
