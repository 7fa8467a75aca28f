// What a handed-back message becomes: the record the retry topic (through
// a timer) or the dead-letter queue receives. Pure: the handler reads the
// stored record, this decides, the handler writes.
//
// Only a record of the group's own retry topic carries an attempt count and
// an origin the broker wrote; on any other record those properties are the
// producer's (or left by an earlier `rbus dlq resend`) and are replaced, so
// a producer cannot send a message straight to the DLQ or fake its origin.
import { encodeMsgId, Prop, dlqTopic, retryTopic, DEFAULT_MAX_RECONSUME_TIMES } from "../src/protocol/index.js";
import type { PutMessage, StoredMessage } from "../src/store/index.js";

/** Properties a copy must not carry on: a timer's or a transaction's bookkeeping would be read as its own. */
const DROPPED = [
  Prop.delayLevel, Prop.timerDeliverMs, Prop.timerDelayMs, Prop.timerDelaySec, Prop.timerOutMs, Prop.timerQueueOffset,
  Prop.realTopic, Prop.realQueueId, Prop.transactionPrepared, Prop.transactionPreparedQueueOffset,
] as const;

export interface RetryDecision {
  outcome: "retry" | "dlq";
  /** Attempts that failed so far, this one counted: RECONSUME_TIME on the new record. */
  reconsumeTimes: number;
  /** Retry only: the delay level, 1-based, within the broker's levels. */
  delayLevel: number;
  reason?: "max-reconsume-times" | "requested";
  message: PutMessage;
  originTopic: string;
  originMsgId: string;
}

export interface DecideInput {
  consumerGroup: string;
  brokerGroup: string;
  record: StoredMessage;
  /** Asked by the consumer: 0/absent → 3 + attempts; < 0 → DLQ now. */
  delayLevel?: number;
  /** The group's limit: its stored settings, else the request's, else 16. */
  maxReconsumeTimes?: number;
  /** How many delay levels the broker has (18 by default). */
  levels: number;
}

/** The attempt count a record already carries (0 when it is not a retry of this group). */
export function reconsumeTimesOf(record: StoredMessage, consumerGroup: string): number {
  if (record.topic !== retryTopic(consumerGroup)) return 0;
  const n = Number(record.properties[Prop.reconsumeTimes]);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

export function decideSendBack(input: DecideInput): RetryDecision {
  const { record, consumerGroup } = input;
  const before = reconsumeTimesOf(record, consumerGroup);
  const ownRetry = record.topic === retryTopic(consumerGroup);
  const properties: Record<string, string> = { ...record.properties };
  for (const k of DROPPED) delete properties[k];
  if (!ownRetry) {
    properties[Prop.retryTopic] = record.topic;
    properties[Prop.originMsgId] = encodeMsgId(input.brokerGroup, record.commitLogOffset);
    properties[Prop.originQueueId] = String(record.queueId);
  }
  const originTopic = properties[Prop.retryTopic] ?? record.topic;
  const originMsgId = properties[Prop.originMsgId] ?? encodeMsgId(input.brokerGroup, record.commitLogOffset);
  const reconsumeTimes = before + 1;
  properties[Prop.reconsumeTimes] = String(reconsumeTimes);
  const max = input.maxReconsumeTimes ?? DEFAULT_MAX_RECONSUME_TIMES;
  // RocketMQ: to the DLQ when the message already had maxReconsumeTimes retries, or when asked (delayLevel < 0)
  const requested = (input.delayLevel ?? 0) < 0;
  const dlq = requested || before >= max;
  const message: PutMessage = {
    topic: dlq ? dlqTopic(consumerGroup) : retryTopic(consumerGroup),
    queueId: 0,
    // the read buffer is reused by the next read: the copy outlives it
    body: Buffer.from(record.body),
    properties,
    bornTimestamp: record.bornTimestamp,
    flags: record.flags,
  };
  if (record.tags) message.tags = record.tags;
  if (record.keys) message.keys = record.keys;
  const asked = input.delayLevel ?? 0;
  const delayLevel = Math.max(1, Math.min(input.levels, asked > 0 ? asked : 3 + before));
  const decision: RetryDecision = { outcome: dlq ? "dlq" : "retry", reconsumeTimes, delayLevel, message, originTopic, originMsgId };
  if (dlq) decision.reason = requested ? "requested" : "max-reconsume-times";
  return decision;
}
