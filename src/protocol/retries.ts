// consumer.sendback: a consumer hands a message back to the broker that
// stores it (RocketMQ's CONSUMER_SEND_MSG_BACK). The broker reads the
// record itself, so the request names it only by its commit-log offset;
// content, topic and attempt count come from the log, never the client.
import { int, name, optInt, str, type Json } from "./validate.js";

/** RocketMQ's default: attempts 1–16 go through the retry topic, then the DLQ. */
export const DEFAULT_MAX_RECONSUME_TIMES = 16;
/** The largest maxReconsumeTimes a request or a group's settings may ask. */
export const MAX_RECONSUME_TIMES = 1000;
/** A delay level past a broker's levels is clamped to its last; more than this is junk. */
const MAX_DELAY_LEVEL = 1000;

export interface SendBackRequest {
  /** The consumer group handing the message back (the subject's last token too). */
  group: string;
  /** The record's offset in this broker group's commit log (the msgId's hex part). */
  commitLogOffset: number;
  /** The message id the consumer got: must name this group and offset. */
  msgId: string;
  /** Absent or 0: the broker's backoff (3 + attempts); below 0: straight to the DLQ (orderly consumers past their limit). */
  delayLevel?: number;
  /** Used when the group has no stored settings (subgroup.upsert's retryMaxTimes wins). */
  maxReconsumeTimes?: number;
}

export interface SendBackReply {
  /** Where the message went: back through the retry topic (after its backoff) or into the DLQ. */
  outcome: "retry" | "dlq";
  /** %RETRY%<group> or %DLQ%<group>. */
  topic: string;
  /** Attempts so far, this one counted (RECONSUME_TIME on the new record). */
  reconsumeTimes: number;
  /** The delay level used (retry only). */
  delayLevel?: number;
  /** When the retry is due, ms since the epoch (retry only). */
  deliverAt?: number;
  /** The new record's id: in the timer topic (retry) or the DLQ. */
  msgId: string;
  /** A repeat of a send-back this broker already did: nothing new was stored. */
  repeated?: boolean;
}

export function decodeSendBack(o: Json): SendBackRequest {
  const req: SendBackRequest = { group: name(o, "group"), commitLogOffset: int(o, "commitLogOffset"), msgId: str(o, "msgId") };
  const delayLevel = optInt(o, "delayLevel", -1, MAX_DELAY_LEVEL);
  if (delayLevel !== undefined) req.delayLevel = delayLevel;
  const max = optInt(o, "maxReconsumeTimes", 0, MAX_RECONSUME_TIMES);
  if (max !== undefined) req.maxReconsumeTimes = max;
  return req;
}

/** Published on rbus.events.dlq.<group> when a message enters the group's dead-letter queue. */
export interface DlqEvent {
  type: "dlq";
  /** The consumer group. */
  consumerGroup: string;
  /** The broker group that stores it. */
  group: string;
  replica: number;
  /** The DLQ record's id and queue offset. */
  msgId: string;
  queueOffset: number;
  originTopic: string;
  originMsgId: string;
  reconsumeTimes: number;
  /** "max-reconsume-times" (attempts used up) or "requested" (delayLevel < 0). */
  reason: "max-reconsume-times" | "requested";
  at: number;
}
