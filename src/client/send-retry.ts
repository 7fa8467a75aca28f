// What a producer does after a failed attempt: one decision for send and
// send.batch alike.
//
//   NOT_MASTER naming a master   retry there at once: no route refresh, the
//                                group is not kept out (it is healthy; the
//                                producer only had an old route).
//   NOT_MASTER without one,      fetch the route again; another group when
//   NO_RESPONDERS, TIMEOUT,      the message is not pinned to a queue, else
//   NOT_REPLICATED, BROKER_BUSY, the same group after a short backoff (a
//   FLUSH_TIMEOUT, DISK_FULL     failover is under way).
//   anything else                not retried.
//
// The budget is time, not a count: a send keeps trying until retryBudgetMs
// has passed since it began, so it rides out an election (about 1-2 s with
// test timings, about 5 s with the default 3 s election timeout).
import { ErrorCode, RbusError } from "../protocol/index.js";
import type { TopicInfo } from "./producer-routes.js";

/** Errors that say "this group cannot take it now; later, or another group, may". */
const RETRIABLE: ReadonlySet<string> = new Set([
  ErrorCode.NO_RESPONDERS,
  ErrorCode.TIMEOUT,
  ErrorCode.NOT_MASTER,
  // stored on the master but not committed: not acknowledged, a retry may duplicate it
  ErrorCode.NOT_REPLICATED,
  ErrorCode.BROKER_BUSY,
  ErrorCode.FLUSH_TIMEOUT,
  // nothing was stored: the group's disk is full, another group may have room
  ErrorCode.DISK_FULL,
]);

export function isRetriable(err: unknown): boolean {
  return err instanceof RbusError && RETRIABLE.has(err.code);
}

export interface RetryBudget {
  /** No attempt starts after this time (ms since the epoch). */
  endsAt: number;
  /** Attempts after the first, at most. */
  retries: number;
}

/** Hints followed in a row before the producer falls back to the route (replicas that name each other). */
export const MAX_HINT_HOPS = 3;
/** Backoff before retrying the same group: 50, 100, 200, then 400 ms. */
const BACKOFF_MS = [50, 100, 200, 400] as const;

/** The backoff before the next try after `n` failed ones in a row. */
export const backoffMs = (n: number): number => BACKOFF_MS[Math.min(n, BACKOFF_MS.length - 1)]!;

export type RetryStep =
  | { kind: "give-up" }
  /** Retry at once at this address (the master a NOT_MASTER named). */
  | { kind: "master"; address: string }
  /** Fetch the route again; move when the message may, else wait backoffMs first. */
  | { kind: "refresh"; backoffMs: number };

export interface AttemptState {
  /** 0 for the first attempt. */
  attempt: number;
  now: number;
  /** Where the failed attempt went. */
  address: string | undefined;
  /** The master the error named (after MasterHints.learn), if any. */
  hintAddress: string | undefined;
  /** Hinted retries in a row so far. */
  hops: number;
  /** Refresh steps in a row on the same group so far. */
  refreshes: number;
}

export function retryStep(err: unknown, s: AttemptState, budget: RetryBudget): RetryStep {
  if (!isRetriable(err) || s.attempt >= budget.retries || s.now >= budget.endsAt) return { kind: "give-up" };
  if (s.hintAddress !== undefined && s.hintAddress !== s.address && s.hops < MAX_HINT_HOPS) {
    return { kind: "master", address: s.hintAddress };
  }
  const backoff = backoffMs(s.refreshes);
  return { kind: "refresh", backoffMs: Math.min(backoff, Math.max(0, budget.endsAt - s.now)) };
}

/** Time left for the reply to travel back: a broker that acts this close to the deadline would answer too late. */
const DEADLINE_MARGIN_MS = 250;

/**
 * The Rbus-Deadline of an attempt that started at `started` (ms since the
 * epoch): after it the broker drops the request instead of storing it,
 * because the producer has given up and may have sent it elsewhere.
 * Absolute, not a relative budget: a broker that was paused (SIGSTOP, a
 * long GC) finds the request in its socket buffer later and would start a
 * relative budget only then. The price is that it assumes the producer's
 * and the broker's clocks agree to well within the send timeout, as gRPC's
 * propagated deadlines do; a broker whose clock runs ahead refuses sends
 * with DEADLINE_EXCEEDED, which is not retried, so the skew shows.
 */
export function deadline(started: number, timeoutMs: number): number {
  return started + timeoutMs - Math.min(DEADLINE_MARGIN_MS, Math.floor(timeoutMs / 10));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function noMaster(topic: string, group: string): RbusError {
  return new RbusError(ErrorCode.NO_RESPONDERS, `broker group ${group} has no master for "${topic}" in the current route`);
}

/** No queue to write to: the topic is read-only (not retried), or no group has a master now (retried). */
export function noWritableQueue(info: TopicInfo): RbusError {
  const writable = info.route.queues.filter((q) => q.perm === "rw" || q.perm === "w");
  if (writable.length === 0) return new RbusError(ErrorCode.NO_PERMISSION, `topic "${info.topic}" is not writable on any broker group`);
  return new RbusError(ErrorCode.NO_RESPONDERS, `no broker group serving "${info.topic}" has a master in the current route`);
}

/** The last error, saying where it was tried when that was more than once. */
export function withAttempts(err: unknown, tried: string[]): unknown {
  if (!(err instanceof RbusError) || tried.length < 2) return err;
  return new RbusError(err.code, `${err.message} (${tried.length} attempts: ${tried.join(", ")})`);
}
