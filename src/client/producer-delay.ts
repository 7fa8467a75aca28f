// A message's delay, as the producer asks for it (RocketMQ 4's delay level,
// RocketMQ 5's delivery time or delay), turned into the one property the
// broker reads (actors/timer-rewrite.ts). Timed messages travel alone
// (send), never in an RBB2 batch, which the broker refuses them in.
import { BadRequestError } from "../protocol/index.js";
import { Prop } from "../protocol/system-topics.js";

export interface MessageDelay {
  /** Delay level 1–18 (the broker's levels: RocketMQ 4's 1s 5s 10s 30s 1m … 2h by default). */
  delayLevel?: number;
  /** Deliver at this time: ms since the epoch, or a Date (by the broker's clock). */
  deliverAt?: number | Date;
  /** Deliver this many ms after the broker stores it. */
  delayMs?: number;
}

export const isTimed = (m: MessageDelay): boolean => m.delayLevel !== undefined || m.deliverAt !== undefined || m.delayMs !== undefined;

/** Properties batches take none of: timer requests (a DELAY set by hand), a delivered message's mark passed on, a half's TRAN_MSG. */
const TIMER_PROPERTIES = [Prop.delayLevel, Prop.timerDeliverMs, Prop.timerDelayMs, Prop.timerDelaySec, Prop.timerQueueOffset, Prop.transactionPrepared] as const;

/** Whether the message goes alone (send), not in an RBB2 batch: a delay asked by field or by property, or a half. */
export function travelsAlone(m: MessageDelay & { properties?: Record<string, string> }): boolean {
  if (isTimed(m)) return true;
  const p = m.properties;
  if (p === undefined) return false;
  for (const k of TIMER_PROPERTIES) if (p[k] !== undefined) return true;
  return false;
}

/** The property [name, value] a timed message carries; throws BadRequestError for a bad or doubled value. */
export function delayProperty(m: MessageDelay): [string, string] {
  const asked = [m.delayLevel, m.deliverAt, m.delayMs].filter((v) => v !== undefined).length;
  if (asked > 1) throw new BadRequestError("a message takes one of delayLevel, deliverAt and delayMs");
  if (m.delayLevel !== undefined) {
    if (!Number.isInteger(m.delayLevel) || m.delayLevel < 1) throw new BadRequestError(`delayLevel must be an integer from 1, got ${m.delayLevel}`);
    return [Prop.delayLevel, String(m.delayLevel)];
  }
  if (m.deliverAt !== undefined) {
    const at = m.deliverAt instanceof Date ? m.deliverAt.getTime() : m.deliverAt;
    if (!Number.isSafeInteger(at) || at < 0) throw new BadRequestError(`deliverAt must be a time (ms since the epoch, or a Date), got ${String(m.deliverAt)}`);
    return [Prop.timerDeliverMs, String(at)];
  }
  const ms = m.delayMs!;
  if (!Number.isSafeInteger(ms) || ms < 0) throw new BadRequestError(`delayMs must be a non-negative integer, got ${ms}`);
  return [Prop.timerDelayMs, String(ms)];
}
