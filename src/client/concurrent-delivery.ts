// The push consumer's delivery of its queues, RocketMQ's concurrent way:
// one loop per queue hands the listener its messages one at a time, and a
// message the listener fails (a throw, or "later") is handed back to the
// broker (send-back.ts), so the queue moves on; it comes again through the
// group's retry topic. If the hand-back fails, the message is retried in
// place after retryMs (growing to 30 × retryMs) and handed back again at
// its next failure: the offset never passes a message that is neither done
// nor handed back. Broadcasting has no retry topic: it retries in place.
//
// The consume timeout: one sweep per consumer looks at the message each
// loop has in the listener; one held past consumeTimeoutMs is handed back,
// its loop is left behind (its late answer is ignored) and a new loop takes
// the queue on. No timer, promise or race per message: a listener that
// returns nothing (or "success") synchronously costs no microtask at all.
import type { Logger } from "../runtime/log.js";
import type { BrokerClient, ConsumedMessage } from "./broker-client.js";
import { Signal, type ProcessQueue } from "./process-queue.js";
import { sendBack } from "./send-back.js";

/** RocketMQ's ConsumeConcurrentlyStatus: CONSUME_SUCCESS, RECONSUME_LATER. */
export type ConsumeStatus = "success" | "later";

/** Nothing, or "success": done. "later", or a throw: handed back, to come again after the backoff. */
export type MessageListener = (msg: ConsumedMessage) => Promise<ConsumeStatus | void> | ConsumeStatus | void;

export interface ConcurrentDeps {
  brokers: BrokerClient;
  consumerGroup: string;
  /** False (broadcasting): failures are retried in place only. */
  handsBack: boolean;
  maxReconsumeTimes: number | undefined;
  consumeTimeoutMs: number;
  retryMs: number;
  log: Logger;
  listener: () => MessageListener;
  /** A message of this broker group was handed back (its retry queue is read once routed). */
  handedBack: (brokerGroup: string) => void;
}

interface Loop {
  signal: Signal;
  /** Bumped when the sweep leaves a loop behind: a loop whose number is old ends without a word. */
  generation: number;
  /** The message in the listener and since when (-1: none), for the sweep. */
  current: ConsumedMessage | undefined;
  startedAt: number;
  handingBack: boolean;
  ended: Promise<void>;
  end: () => void;
}

/** A listener's throw, kept as a value (allocated only when it throws). */
class Failure {
  constructor(readonly error: unknown) {}
}

type Outcome = ConsumeStatus | void | Promise<ConsumeStatus | void> | Failure;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class ConcurrentDelivery {
  private readonly loops = new Map<ProcessQueue, Loop>();

  constructor(private readonly d: ConcurrentDeps) {}

  open(pq: ProcessQueue): void {
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    const loop: Loop = { signal: new Signal(), generation: 0, current: undefined, startedAt: -1, handingBack: false, ended, end };
    this.loops.set(pq, loop);
    void this.deliver(pq, loop, 0);
  }

  arrived(pq: ProcessQueue): void {
    this.loops.get(pq)?.signal.notify();
  }

  wakeAll(): void {
    for (const l of this.loops.values()) l.signal.notify();
  }

  /** Resolves when nothing of `pq` is in the listener any more (after drop), or its message was handed back. */
  async quiesce(pq: ProcessQueue): Promise<void> {
    const l = this.loops.get(pq);
    if (!l) return;
    l.signal.notify();
    await l.ended;
    this.loops.delete(pq);
  }

  /** The consume timeout's check, every sweepIntervalMs. */
  sweep(now: number): void {
    if (!this.d.handsBack) return;
    for (const [pq, l] of this.loops) {
      if (l.startedAt >= 0 && !l.handingBack && now - l.startedAt >= this.d.consumeTimeoutMs) void this.timedOut(pq, l);
    }
  }

  private call(m: ConsumedMessage): Outcome {
    try {
      return this.d.listener()(m);
    } catch (err) {
      return new Failure(err);
    }
  }

  private async deliver(pq: ProcessQueue, l: Loop, generation: number): Promise<void> {
    while (!pq.isDropped) {
      const m = pq.begin();
      if (!m) {
        await l.signal.wait();
        continue;
      }
      const first = this.call(m);
      if (first === undefined || first === "success") {
        pq.finish(m);
        continue;
      }
      const done = await this.consume(pq, l, generation, m, first);
      if (l.generation !== generation) return; // left behind: the sweep handed its message back
      if (!done) break; // dropped with it unfinished: the commit point stays on it
      pq.finish(m);
    }
    l.end();
  }

  /** One message until done or handed back (true), or its queue dropped first (false). */
  private async consume(pq: ProcessQueue, l: Loop, generation: number, m: ConsumedMessage, first: Outcome): Promise<boolean> {
    let outcome = first;
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      if (outcome instanceof Failure) failure = errorText(outcome.error);
      else if (outcome === "later") failure = "the listener answered later";
      else if (outcome && typeof outcome === "object") {
        l.current = m;
        l.startedAt = Date.now();
        try {
          const status = await outcome;
          if (l.generation !== generation) return false;
          if (status !== "later") return true;
          failure = "the listener answered later";
        } catch (err) {
          if (l.generation !== generation) return false;
          failure = errorText(err);
        } finally {
          if (l.generation === generation) l.startedAt = -1;
        }
      } else return true;
      if (this.d.handsBack && (await this.handBack(pq, m, failure, attempt))) return true;
      if (pq.isDropped) return false;
      if (!pq.isInFlight(m)) return true; // an offset reset moved the queue past it: read on from the new offset
      // Arrivals notify the same signal: sleep the whole backoff unless dropped.
      const until = Date.now() + Math.min(this.d.retryMs * attempt, 30 * this.d.retryMs);
      while (!pq.isDropped && pq.isInFlight(m) && Date.now() < until) await l.signal.wait(until - Date.now());
      if (pq.isDropped) return false;
      if (!pq.isInFlight(m)) return true;
      outcome = this.call(m);
    }
  }

  /** Sends a failed message back; false (logged) when the broker did not take it. */
  private async handBack(pq: ProcessQueue, m: ConsumedMessage, failure: unknown, attempt: number): Promise<boolean> {
    try {
      const max = this.d.maxReconsumeTimes;
      const r = await sendBack(this.d.brokers, this.d.consumerGroup, pq.queue, m, max === undefined ? {} : { maxReconsumeTimes: max });
      this.d.log.debug("message handed back", { msgId: m.msgId, queue: pq.key, outcome: r.outcome, reconsumeTimes: r.reconsumeTimes, error: String(failure) });
      this.d.handedBack(pq.queue.group);
      return true;
    } catch (err) {
      this.d.log.warn("listener failed and the message could not be handed back; retrying it in place", {
        msgId: m.msgId, queue: pq.key, queueOffset: m.queueOffset, attempt, error: String(failure), sendBack: errorText(err),
      });
      return false;
    }
  }

  /** The listener held its message past the timeout: handed back, and a new loop goes on with the queue. */
  private async timedOut(pq: ProcessQueue, l: Loop): Promise<void> {
    const m = l.current!;
    this.d.log.warn("listener held a message past the consume timeout; handing it back", { msgId: m.msgId, queue: pq.key, consumeTimeoutMs: this.d.consumeTimeoutMs });
    l.handingBack = true;
    const taken = await this.handBack(pq, m, "consume timeout", 1);
    l.handingBack = false;
    // not taken: the next sweep tries again; done meanwhile: the listener's answer stands
    if (!taken || l.startedAt < 0 || l.current !== m) return;
    l.generation++;
    l.startedAt = -1;
    l.current = undefined;
    pq.finish(m);
    void this.deliver(pq, l, l.generation);
  }
}

/** How often the sweep looks: a quarter of the timeout, between 50 ms and 1 min. */
export function sweepIntervalMs(timeoutMs: number): number {
  return Math.max(50, Math.min(60_000, Math.floor(timeoutMs / 4)));
}
