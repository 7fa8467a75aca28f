// The rewrite of a timed send (RocketMQ 5's TimerMessageStore front end):
// a message whose properties ask for a delay level (DELAY), a delivery
// time (TIMER_DELIVER_MS) or a delay (TIMER_DELAY_MS / TIMER_DELAY_SEC) is
// stored in the timer topic's queue 0 instead, with where it goes
// (REAL_TOPIC, REAL_QID) and when (TIMER_OUT_MS); the timer service puts it
// back into that queue when due. The reverse (timerRecordToMessage) gives
// the message as its consumers see it.
import { BadRequestError, RbusError, ErrorCode } from "../src/protocol/index.js";
import { Prop, TIMER_TOPIC } from "../src/protocol/system-topics.js";
import type { RecordBatch } from "../src/protocol/record-batch.js";
import type { PutMessage, StoredMessage } from "../src/store/index.js";
import { formatDuration } from "./timer-levels.js";
import { findProperty } from "./timer-scan.js";

export interface TimerRules {
  /** Each delay level's delay in ms (index 0 is level 1). */
  readonly levels: readonly number[];
  /** How far ahead of now a due time may be. */
  readonly horizonMs: number;
}

/** The properties a producer sets to ask for a timer: removed when the message is delivered. */
const ASKING = [Prop.delayLevel, Prop.timerDeliverMs, Prop.timerDelayMs, Prop.timerDelaySec] as const;
/** What the timer topic's record adds: removed again on delivery. */
const WAITING = [Prop.realTopic, Prop.realQueueId, Prop.timerOutMs] as const;

function nonNegative(name: string, v: string): number {
  const n = /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new BadRequestError(`the ${name} property must be a non-negative integer, got "${v}"`);
  return n;
}

/**
 * When the message's properties ask it to be delivered (ms since the
 * epoch), or undefined for an ordinary message (DELAY=0 is RocketMQ's "no
 * delay"). Throws BadRequestError for a malformed value, a level this
 * broker does not have, two ways of asking at once, or a time past the horizon.
 */
export function requestedDueTime(props: Record<string, string>, rules: TimerRules, now: number): number | undefined {
  let due: number | undefined;
  let asked: string | undefined;
  for (const name of ASKING) {
    const v = props[name];
    if (v === undefined) continue;
    if (asked !== undefined) throw new BadRequestError(`a message asks for one timer: it has both ${asked} and ${name}`);
    asked = name;
    const n = nonNegative(name, v);
    if (name === Prop.delayLevel) {
      if (n === 0) continue;
      if (n > rules.levels.length) {
        throw new RbusError(ErrorCode.BAD_REQUEST, `delay level ${n} does not exist: this broker has levels 1–${rules.levels.length} (${rules.levels.map(formatDuration).join(" ")})`, { level: n, levels: rules.levels.length });
      }
      due = now + rules.levels[n - 1]!;
    } else if (name === Prop.timerDeliverMs) due = n;
    else if (name === Prop.timerDelayMs) due = now + n;
    else due = now + n * 1000;
  }
  if (due !== undefined) checkHorizon(due, rules, now);
  return due;
}

export function checkHorizon(due: number, rules: TimerRules, now: number): void {
  if (due - now > rules.horizonMs) {
    throw new RbusError(ErrorCode.BAD_REQUEST, `a timer may be due at most ${formatDuration(rules.horizonMs)} ahead; this one is due in ${formatDuration(due - now)}`, { dueMs: due, horizonMs: rules.horizonMs });
  }
}

/** The timer topic's record for `m`, due at `due`: a new message, `m` untouched. */
export function toTimerMessage(m: PutMessage, due: number): PutMessage {
  const properties: Record<string, string> = {};
  if (m.properties) for (const k in m.properties) properties[k] = m.properties[k]!;
  // a message a timer delivered before (a retry of it): its old offset says nothing about this timer
  delete properties[Prop.timerQueueOffset];
  properties[Prop.realTopic] = m.topic;
  properties[Prop.realQueueId] = String(m.queueId);
  properties[Prop.timerOutMs] = String(due);
  const out: PutMessage = { topic: TIMER_TOPIC, queueId: 0, body: m.body, properties };
  if (m.tags) out.tags = m.tags;
  if (m.keys) out.keys = m.keys;
  if (m.bornTimestamp !== undefined) out.bornTimestamp = m.bornTimestamp;
  if (m.flags !== undefined) out.flags = m.flags;
  return out;
}

/** A timer record's due time, or undefined when the record is not one (no valid TIMER_OUT_MS or REAL_TOPIC). */
export function dueTimeOf(stored: StoredMessage): number | undefined {
  const out = stored.properties[Prop.timerOutMs];
  if (out === undefined || stored.properties[Prop.realTopic] === undefined) return undefined;
  const n = Number(out);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The message a timer record delivers: same body, tags, keys, born time and
 * flags; its properties without the timer ones, plus TIMER_QUEUE_OFFSET
 * (which makes the delivery findable in the log: each offset is delivered once).
 */
export function timerRecordToMessage(stored: StoredMessage): PutMessage {
  const props = stored.properties;
  const properties: Record<string, string> = {};
  for (const k in props) properties[k] = props[k]!;
  for (const k of ASKING) delete properties[k];
  for (const k of WAITING) delete properties[k];
  properties[Prop.timerQueueOffset] = String(stored.queueOffset);
  const qid = Number(props[Prop.realQueueId]);
  return {
    topic: props[Prop.realTopic]!, queueId: Number.isSafeInteger(qid) && qid >= 0 ? qid : 0, body: Buffer.from(stored.body),
    tags: stored.tags, keys: stored.keys, bornTimestamp: stored.bornTimestamp, flags: stored.flags, properties,
  };
}

/**
 * Properties an RBB2 record may not carry: a timer request, a half
 * message's TRAN_MSG (stored as sent, either would reach consumers at once),
 * or the broker's own delivery mark (it would be a forged one).
 */
const TIMER_NAMES = new Set<string>([...ASKING, Prop.timerQueueOffset, Prop.transactionPrepared]);

/**
 * The first record of an RBB2 batch that asks for a timer, is a half
 * message, or carries TIMER_QUEUE_OFFSET, or -1. Batches take no timers
 * and no transactions (RocketMQ's batches do not either): such a message
 * is sent alone, where the broker rewrites it and drops the mark. Reads each record's property section, which the
 * walk has checked; a record without properties costs four byte reads.
 */
export function firstTimedRecord(batch: RecordBatch): number {
  const buf = batch.bytes;
  // "DELAY" or "TIMER_…": the first byte rules out most names without a string
  const asks = (nameAt: number, len: number) =>
    len >= 5 && len <= 18 && (buf[nameAt] === 0x44 || buf[nameAt] === 0x54) && TIMER_NAMES.has(buf.toString("latin1", nameAt, nameAt + len));
  for (let i = 0; i < batch.count; i++) if (findProperty(buf, batch.offsets[i]!, asks) >= 0) return i;
  return -1;
}
