// ctx.timers: what the broker's features put into the timer topic with
// (the producer's timed sends, the retry backoff of consumer.sendback), and
// what the send path asks of it. The timer service (timer-service.ts) runs
// behind it on the master; this file holds the contract.
import { ErrorCode, RbusError } from "../src/protocol/index.js";
import { Prop } from "../src/protocol/system-topics.js";
import type { PutMessage } from "../src/store/index.js";
import { assertMaster, type BrokerContext } from "./broker-context.js";
import { committed, sendStatus } from "./send-outcome.js";
import { DEFAULT_DELAY_LEVELS, DEFAULT_TIMER_HORIZON_MS, parseDelayLevels } from "./timer-levels.js";
import { checkHorizon, requestedDueTime, toTimerMessage, type TimerRules } from "./timer-rewrite.js";

/** Broker options for timers (rbus broker --delay-levels, --timer-horizon, --max-pending-timers). */
export interface TimerOptions {
  /** RocketMQ's messageDelayLevel: "1s 5s 10s 30s 1m …" (level n is the n-th entry). */
  delayLevels?: string;
  /** How far ahead a timer may be due (default 3 days). */
  horizonMs?: number;
  /** Undelivered timers the broker holds at most; a timed send past it is LIMIT_EXCEEDED (default 2 000 000). */
  maxPending?: number;
}

export const DEFAULT_MAX_PENDING_TIMERS = 2_000_000;

export interface ScheduleResult {
  /** Where the timer record is: its commit-log offset (its message id) and its timer-queue offset. */
  commitLogOffset: number;
  queueOffset: number;
  /** When it is due, ms since the epoch (broker clock). */
  deliverAt: number;
}

export interface TimerStatus {
  /** Whether this replica's timer service runs (it does on the master only, once rebuilt). */
  running: boolean;
  /** Timers stored and not delivered yet (held in memory plus not yet loaded from the timer queue). */
  pending: number;
  /** Timers this replica delivered since it started. */
  delivered: number;
  /** Lowest timer-queue offset that may be undelivered (the persisted progress). */
  scanFrom: number;
  /** The earliest due time held (ms since the epoch), or -1. */
  nextDueAt: number;
  /** How late deliveries were, ms past their due time: the last ones' p50, p99 and worst. */
  lateness: { p50: number; p99: number; max: number; count: number };
}

/** What the timer service offers the rest of the broker; undelivered counting for the limit. */
export interface TimerBackend {
  /** Undelivered timers known now (-1: no service running here). */
  pendingCount(): number;
  status(): TimerStatus;
}

export interface BrokerTimers {
  readonly rules: TimerRules;
  /**
   * Stores `message` (its topic and queueId are where it goes when due) in
   * the timer topic, to be put into its queue once at `deliverAt` (ms since
   * the epoch by the broker's clock; a time already past is delivered at
   * once by the timer service). Resolves once stored (and, under
   * ack=quorum, held by a majority). Rejects with RbusError: NOT_MASTER on
   * a slave, BAD_REQUEST past the horizon, LIMIT_EXCEEDED when the broker
   * holds maxPending undelivered timers, or the put's own error (DISK_FULL,
   * NOT_REPLICATED, …). `deadline`: ms since the epoch the caller stops
   * waiting for the quorum.
   */
  schedule(message: PutMessage, deliverAt: number, deadline?: number): Promise<ScheduleResult>;
  /** Level n's delay in ms; levels above the last are the last (RocketMQ clamps them so), below 1 are 1. */
  levelDelayMs(level: number): number;
  /** The send path's check: the timer record for `message` if its properties ask for one, else `message`. Throws BAD_REQUEST / LIMIT_EXCEEDED. */
  rewrite(message: PutMessage): PutMessage;
  status(): TimerStatus;
}

/** `ctxOf` is asked when a call needs it: the context holds what this returns. */
export function createBrokerTimers(ctxOf: () => BrokerContext, opts: TimerOptions, backend: () => TimerBackend | undefined): BrokerTimers {
  const rules: TimerRules = {
    levels: parseDelayLevels(opts.delayLevels ?? DEFAULT_DELAY_LEVELS),
    horizonMs: opts.horizonMs ?? DEFAULT_TIMER_HORIZON_MS,
  };
  const maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING_TIMERS;
  const room = () => {
    const n = backend()?.pendingCount() ?? 0;
    if (n >= maxPending) {
      throw new RbusError(ErrorCode.LIMIT_EXCEEDED, `this broker holds ${n} undelivered timers, its limit (maxPendingTimers ${maxPending}); retry once some are delivered, or raise the limit`, { limit: "maxPendingTimers", max: maxPending });
    }
  };
  const idle: TimerStatus = { running: false, pending: 0, delivered: 0, scanFrom: 0, nextDueAt: -1, lateness: { p50: 0, p99: 0, max: 0, count: 0 } };
  return {
    rules,
    async schedule(message, deliverAt, deadline) {
      const ctx = ctxOf();
      assertMaster(ctx);
      checkHorizon(deliverAt, rules, ctx.clock.now());
      room();
      const put = await ctx.store.put([toTimerMessage(message, deliverAt)]);
      sendStatus(put);
      await committed(ctx, put.end, deadline);
      const r = put.results[0]!;
      return { commitLogOffset: r.commitLogOffset, queueOffset: r.queueOffset, deliverAt };
    },
    levelDelayMs(level) {
      const i = Math.min(Math.max(Math.floor(level), 1), rules.levels.length);
      return rules.levels[i - 1]!;
    },
    rewrite(message) {
      if (!message.properties) return message;
      // the broker's own mark of a delivery (the rebuild counts it): a producer cannot set it
      if (message.properties[Prop.timerQueueOffset] !== undefined) delete message.properties[Prop.timerQueueOffset];
      const due = requestedDueTime(message.properties, rules, ctxOf().clock.now());
      if (due === undefined) return message;
      room();
      return toTimerMessage(message, due);
    },
    status: () => backend()?.status() ?? idle,
  };
}
