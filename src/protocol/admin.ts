// Wire shapes and decoders of the operator's APIs on a broker (RocketMQ's
// mqadmin): topic status and deletion, consumer connections and progress,
// offset resets, messages by queue offset, subscription-group settings.
// See docs/protocol.md, "Operator APIs".
import { BadRequestError } from "./errors.js";
import { isSubjectToken, isTopicName } from "./subjects.js";
import type { ConsumeMode, WireMessage } from "./messages.js";
import { bool, int, name, oneOf, optInt, topicName, type Json } from "./validate.js";

/** Queue offsets are u16 queue ids on the wire everywhere. */
const QUEUE_ID_MAX = 65535;
export const CONSUME_MODES = ["clustering", "broadcasting"] as const;

/** topic.status: one queue of the topic on this broker (RocketMQ's TopicOffset). */
export interface QueueStatus {
  queueId: number;
  minOffset: number;
  maxOffset: number;
  /** Store time of the newest readable message, ms since the epoch; 0 when the queue is empty. */
  lastUpdated: number;
}

export interface TopicStatusReply {
  topic: string;
  /** The broker group answering. */
  group: string;
  queues: QueueStatus[];
}

export interface TopicDeleteReply {
  topic: string;
  group: string;
  /** False when this broker had no such topic (nothing changed). */
  deleted: boolean;
  /** Consume queues removed with it. */
  queues: number;
  /** Consumer groups whose offsets on the topic were dropped. */
  offsets: number;
}

/** What a member said of itself in its last heartbeat (consumer.connection). */
export interface ConsumerConnection {
  clientId: string;
  host: string;
  /** The client's Rocketbus version (package.json). */
  version: string;
  mode: ConsumeMode;
  subscriptions: SubscriptionData[];
  /** How many of this broker group's queues it holds (listed in consumer.progress as owners). */
  queues: number;
  lastHeartbeatAt: number;
}

export interface ConsumerConnectionReply {
  group: string;
  /** The broker group answering. */
  broker: string;
  members: ConsumerConnection[];
  /** Members in all (the list may be cut to fit a reply). */
  count: number;
  truncated?: true;
}

/** A topic a member subscribes to, with its tag expression (RocketMQ's SubscriptionData). */
export interface SubscriptionData {
  topic: string;
  tags: string;
}

/** One queue of consumer.progress: RocketMQ's OffsetWrapper, with its owner. */
export interface QueueProgressRow {
  topic: string;
  queueId: number;
  /** The group's committed offset; -1 when it never committed. */
  offset: number;
  minOffset: number;
  maxOffset: number;
  /** maxOffset - offset; from minOffset when nothing was committed. */
  lag: number;
  /** The member whose last heartbeat says it holds this queue; absent when none does. */
  owner?: string;
  /** The member holding the queue's lock (orderly consumers, lock.batch); absent when none does. */
  lockedBy?: string;
}

export interface ConsumerProgressReply {
  group: string;
  broker: string;
  queues: QueueProgressRow[];
  truncated?: true;
}

export type ResetTarget = { timestamp: number } | { to: "first" | "last" };

export interface OffsetResetRequest {
  group: string;
  topic: string;
  queueId?: number;
  target: ResetTarget;
  /** Set offsets for a group this broker has never heard of (else GROUP_NOT_EXIST). */
  create: boolean;
}

export interface OffsetResetReply {
  group: string;
  topic: string;
  broker: string;
  /** Per queue: the committed offset before (-1: none) and the one now. */
  queues: Array<{ queueId: number; from: number; offset: number; epoch?: number }>;
  /** Live members now: each was told on rbus.events.reset.<group> and reads from the new offsets at once. */
  members: number;
}

/**
 * Published by a master on rbus.events.reset.<consumer group> after an
 * offset.reset: a member holding one of the queues drops what it buffered
 * for it and reads from the offset the master holds (it asks, so a forged
 * notice moves nothing).
 */
export interface OffsetResetNotice {
  type: "reset";
  /** The consumer group. */
  group: string;
  topic: string;
  /** The broker group whose queues these are. */
  broker: string;
  queues: Array<{ queueId: number; offset: number; epoch: number }>;
  at: number;
}

/** Checks a reset notice's shape; throws TypeError for anything else (it is dropped). */
export function decodeOffsetResetNotice(v: unknown): OffsetResetNotice {
  const n = v as Partial<OffsetResetNotice> | null;
  const count = (x: unknown) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
  if (typeof n !== "object" || n === null || n.type !== "reset" || typeof n.group !== "string" || !isTopicName(n.topic) || !isSubjectToken(n.broker) || !Array.isArray(n.queues)) {
    throw new TypeError("not an offset reset notice");
  }
  for (const q of n.queues as unknown[]) {
    const e = q as { queueId?: unknown; offset?: unknown; epoch?: unknown } | null;
    if (typeof e !== "object" || e === null || !count(e.queueId) || (e.queueId as number) > 65535 || !count(e.offset) || !count(e.epoch)) throw new TypeError("a reset notice's queue is not {queueId, offset, epoch}");
  }
  return n as OffsetResetNotice;
}

/** message {topic, queueId, offset, max}: messages of one queue from a queue offset (queryMsgByOffset, printMsg). */
export interface QueueMessagesReply {
  messages: WireMessage[];
  /** Where the range goes on (more may follow up to maxOffset). */
  nextOffset: number;
  minOffset: number;
  maxOffset: number;
}

/** RocketMQ's SubscriptionGroupConfig, the parts Rocketbus uses. */
export interface SubscriptionGroupConfig {
  group: string;
  consumeMode: ConsumeMode;
  /** Kept for when retries land: how many times a message is redelivered before the dead-letter queue. */
  retryMaxTimes: number;
  /** False: pulls by this group are refused (NO_PERMISSION) until enabled again. */
  consumeEnable: boolean;
  /**
   * Set by the master when a member first locks a queue (RocketMQ's
   * consumeMessageOrderly): a replica that starts or becomes master is quiet
   * (renewals only) for the groups marked so, since their members may hold
   * locks it does not know of; a group never marked has no holder to wait for.
   */
  consumeMessageOrderly?: boolean;
}

/** RocketMQ's defaults for a group nobody configured. */
export const DEFAULT_RETRY_MAX_TIMES = 16;
export const MAX_RETRY_TIMES = 1000;

export function defaultSubscriptionGroup(group: string): SubscriptionGroupConfig {
  return { group, consumeMode: "clustering", retryMaxTimes: DEFAULT_RETRY_MAX_TIMES, consumeEnable: true };
}

export function decodeTopicRequest(o: Json): { topic: string } {
  return { topic: topicName(o, "topic") };
}

export function decodeGroupRequest(o: Json): { group: string } {
  return { group: name(o, "group") };
}

export function decodeConsumerProgress(o: Json): { group: string; topic?: string } {
  const group = name(o, "group");
  return o.topic === undefined ? { group } : { group, topic: topicName(o, "topic") };
}

export function decodeOffsetReset(o: Json): OffsetResetRequest {
  const group = name(o, "group");
  const topic = topicName(o, "topic");
  if ((o.timestamp === undefined) === (o.to === undefined)) throw new BadRequestError('give one of "timestamp" (ms since the epoch) or "to" ("first" or "last")');
  const target: ResetTarget = o.timestamp !== undefined ? { timestamp: int(o, "timestamp") } : { to: oneOf(o, "to", ["first", "last"] as const) };
  const req: OffsetResetRequest = { group, topic, target, create: o.create === undefined ? false : bool(o, "create") };
  const queueId = optInt(o, "queueId", 0, QUEUE_ID_MAX);
  if (queueId !== undefined) req.queueId = queueId;
  return req;
}

/** Messages of a queue read per request, at most (a range goes on from nextOffset). */
export const MAX_QUEUE_MESSAGES = 1000;

export function decodeQueueMessages(o: Json): { topic: string; queueId: number; offset: number; max: number } {
  return { topic: topicName(o, "topic"), queueId: int(o, "queueId", 0, QUEUE_ID_MAX), offset: int(o, "offset"), max: optInt(o, "max", 1, MAX_QUEUE_MESSAGES) ?? 1 };
}

/** subgroup.upsert: the fields given change, the others keep their stored (or default) value. */
export function decodeSubscriptionGroup(o: Json, current: SubscriptionGroupConfig | undefined): SubscriptionGroupConfig {
  const group = name(o, "group");
  const base = current ?? defaultSubscriptionGroup(group);
  return {
    group,
    consumeMode: o.consumeMode === undefined ? base.consumeMode : oneOf(o, "consumeMode", CONSUME_MODES),
    retryMaxTimes: optInt(o, "retryMaxTimes", 0, MAX_RETRY_TIMES) ?? base.retryMaxTimes,
    consumeEnable: o.consumeEnable === undefined ? base.consumeEnable : bool(o, "consumeEnable"),
    // the broker's own mark: an upsert keeps it
    ...(base.consumeMessageOrderly ? { consumeMessageOrderly: true } : {}),
  };
}
