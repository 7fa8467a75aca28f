// Orderly delivery for the push consumer (RocketMQ's
// ConsumeMessageOrderlyService): a queue's messages reach the listener one
// at a time, in queue order, and only while this member holds the queue's
// lock (queue-lock.ts), so no two members ever work one queue at once.
//
// - A queue is read from the offset committed when its lock was gained:
//   the previous holder commits synchronously before it unlocks, so that
//   offset is where it stopped. A lock that lapses (no renewal for the
//   trust window) pauses the queue; when it is gained again, the queue is
//   re-read from the committed offset, since another member may have had it.
// - A failed message (throw or "later") is retried in place after
//   suspendMs (RocketMQ's SUSPEND_CURRENT_QUEUE_A_MOMENT, 1 s); past
//   maxReconsumeTimes it goes to the group's DLQ (sendBack, delayLevel -1),
//   or, if that fails, is retried in place again.
// - Giving a queue up (rebalance, close): the message in the listener is
//   finished, the offset committed, and only then is the lock released —
//   and not at all when the commit cannot be confirmed (it runs out).
import type { Logger } from "../runtime/log.js";
import type { BrokerClient, ConsumedMessage } from "./broker-client.js";
import type { OffsetStore } from "./offset-store.js";
import { Signal, type ProcessQueue } from "./process-queue.js";
import { QueueLocks, type QueueLockOptions } from "./queue-lock.js";
import { sendBack } from "./send-back.js";
import type { NatsConnection } from "@nats-io/transport-node";

export interface OrderlyOptions extends QueueLockOptions {
  /** Wait before a failed message is tried again in place (RocketMQ: 1 s). */
  suspendMs?: number;
  /** Attempts past the first before the DLQ (RocketMQ's orderly default: Integer.MAX_VALUE; here 16 as for the group). */
  maxReconsumeTimes?: number;
}

export type OrderlyListener = (m: ConsumedMessage) => unknown;

export interface OrderlyDeps {
  nc: NatsConnection;
  brokers: BrokerClient;
  offsets: OffsetStore;
  consumerGroup: string;
  clientId: string;
  log: Logger;
  listener: () => OrderlyListener;
}

interface Loop {
  signal: Signal;
  done: Promise<void>;
  /** Read from the offset committed under the lock held now; false until then and after a lapse. */
  current: boolean;
  /** The lock's fencing token when it was read so. */
  token: number | undefined;
}

const DEFAULT_MAX_RECONSUME = 16;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class OrderlyDelivery {
  readonly locks: QueueLocks;
  private readonly loops = new Map<ProcessQueue, Loop>();
  private readonly suspendMs: number;
  private readonly maxReconsumeTimes: number;

  constructor(
    private readonly d: OrderlyDeps,
    opts: OrderlyOptions = {},
  ) {
    this.locks = new QueueLocks(d.nc, d.brokers, d.consumerGroup, d.clientId, d.log, () => this.wakeAll(), opts);
    this.suspendMs = opts.suspendMs ?? 1000;
    this.maxReconsumeTimes = opts.maxReconsumeTimes ?? DEFAULT_MAX_RECONSUME;
  }

  open(pq: ProcessQueue): void {
    const signal = new Signal();
    const loop: Loop = { signal, done: Promise.resolve(), current: false, token: undefined };
    this.loops.set(pq, loop);
    this.locks.want(pq.queue);
    // checked when the commit is made, not when the loop last looked: a paused process (GC, SIGSTOP) may wake past its trust
    pq.mayCommit = () => loop.current && this.locks.isLocked(pq.queue) && this.locks.token(pq.queue) === loop.token;
    loop.done = this.run(pq, loop);
  }

  arrived(pq: ProcessQueue): void {
    this.loops.get(pq)?.signal.notify();
  }

  /** Resolves once `pq`'s message in the listener (if any) is done. */
  async quiesce(pq: ProcessQueue): Promise<void> {
    const loop = this.loops.get(pq);
    if (!loop) return;
    loop.signal.notify();
    await loop.done;
    this.loops.delete(pq);
  }

  /**
   * After the queues' offsets were committed (consumer-core's release):
   * unlocks those whose commit the master confirms; the others keep their
   * lock until it runs out, so nobody reads them from an older offset.
   */
  async released(pqs: readonly ProcessQueue[]): Promise<void> {
    const confirmed = await Promise.all(pqs.map(async (pq) => {
      if (!pq.mayCommit()) return false; // lapsed: nothing of it was committed since, nor is it surely ours
      const at = pq.commitPoint();
      if (at === undefined) return true;
      return (await this.d.offsets.read(pq.queue).catch(() => undefined)) === at;
    }));
    const kept = pqs.filter((_, i) => !confirmed[i]);
    if (kept.length > 0) this.d.log.warn("offset commit not confirmed; the queue lock is left to run out", { queues: kept.map((pq) => pq.key) });
    for (const pq of kept) this.locks.forget(pq.queue);
    await this.locks.release(pqs.filter((_, i) => confirmed[i]).map((pq) => pq.queue));
  }

  abandoned(): void {
    this.locks.close();
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const l of this.loops.values()) l.signal.notify();
  }

  close(): void {
    this.locks.close();
  }

  private async run(pq: ProcessQueue, loop: Loop): Promise<void> {
    const { locks } = this;
    const { signal } = loop;
    while (!pq.isDropped) {
      if (!locks.isLocked(pq.queue)) {
        if (loop.current) this.d.offsets.lockToken?.(pq.queue, undefined); // nothing pending is sent again under a lapsed lock
        loop.current = false;
        await signal.wait();
        continue;
      }
      // granted afresh (a new token): someone else may have had the queue meanwhile
      if (loop.current && locks.token(pq.queue) !== loop.token) loop.current = false;
      if (!loop.current) {
        const token = locks.token(pq.queue);
        // where the last holder stopped: it committed before it unlocked
        const committed = await this.d.offsets.read(pq.queue).catch((err: unknown) => {
          this.d.log.warn("committed offset not read; asked again", { queue: pq.key, error: errorText(err) });
          return null;
        });
        if (committed === null) {
          await signal.wait(this.suspendMs);
          continue;
        }
        if (pq.isDropped || !locks.isLocked(pq.queue) || locks.token(pq.queue) !== token) continue;
        // a reset drops what is buffered and waits out a held pull: only when the queue moved under another holder
        if (committed !== undefined && committed !== pq.commitPoint()) pq.resetTo(committed);
        loop.token = token;
        this.d.offsets.lockToken?.(pq.queue, token);
        loop.current = true;
      }
      const m = pq.begin();
      if (!m) {
        // sleep until messages arrive or the lock's trust runs out
        await signal.wait(Math.max(1, locks.trustLeft(pq.queue)));
        continue;
      }
      const outcome = await this.consume(pq, m, signal);
      // dropped (rebalance, close) with it unfinished: it stays the commit point
      if (outcome === "gone" && pq.isDropped) return;
      if (outcome === "lapsed") {
        // not done: the queue is re-read from its committed offset under the next lock
        loop.current = false;
        this.d.offsets.lockToken?.(pq.queue, undefined);
        pq.resetTo(m.queueOffset);
        continue;
      }
      pq.finish(m);
    }
  }

  /** One message to its end: done, or sent to the DLQ, or given up because the lock lapsed or the queue went. */
  private async consume(pq: ProcessQueue, m: ConsumedMessage, signal: Signal): Promise<"done" | "lapsed" | "gone"> {
    for (let reconsumed = 0; ; reconsumed++) {
      if (pq.isDropped || !pq.isInFlight(m)) return "gone";
      if (!this.locks.isLocked(pq.queue)) return "lapsed";
      let failure: string | undefined;
      try {
        const status = await this.d.listener()(m);
        if (status === "later") failure = "listener answered later";
      } catch (err) {
        failure = errorText(err);
      }
      if (failure === undefined) return "done";
      if (pq.isDropped) return "gone";
      if (reconsumed >= this.maxReconsumeTimes) {
        try {
          await sendBack(this.d.brokers, this.d.consumerGroup, pq.queue, m, { delayLevel: -1 });
          this.d.log.warn("message sent to the DLQ after its attempts", { msgId: m.msgId, queue: pq.key, queueOffset: m.queueOffset, attempts: reconsumed + 1 });
          return "done";
        } catch (err) {
          this.d.log.warn("DLQ hand-back failed; retried in place", { msgId: m.msgId, queue: pq.key, error: errorText(err) });
        }
      } else {
        this.d.log.warn("listener failed; the queue is suspended, then the message retried", { msgId: m.msgId, queue: pq.key, queueOffset: m.queueOffset, attempt: reconsumed + 1, error: failure });
      }
      // suspend the queue: nothing after this message goes first
      const until = Date.now() + this.suspendMs;
      while (!pq.isDropped && pq.isInFlight(m) && Date.now() < until) await signal.wait(until - Date.now());
    }
  }
}
