// Decoders for the data-plane requests a broker receives.
import { BadRequestError } from "./errors.js";
import { isSubjectToken } from "./subjects.js";
import { tagExpressionError, type ClientHeartbeat, type OffsetCommitEntry, type OffsetCommitRequest, type PullRequest } from "./messages.js";
import { array, describe, int, name, object, topicName, oneOf, optInt, optStr, str, type Json } from "./validate.js";

export const MAX_PULL = 1024;
export const MAX_WAIT_MS = 30_000;

export function decodePull(o: Json): PullRequest {
  if (typeof o.offset === "number" && o.offset < 0) throw new BadRequestError(`"offset" must be 0 or more, got ${o.offset}`);
  const req: PullRequest = {
    group: name(o, "group"),
    topic: topicName(o, "topic"),
    queueId: int(o, "queueId", 0, 65535),
    offset: int(o, "offset"),
    max: optInt(o, "max", 1, MAX_PULL) ?? 32,
    waitMs: optInt(o, "waitMs", 0, MAX_WAIT_MS) ?? 0,
  };
  const tags = optStr(o, "tags");
  if (tags !== undefined) {
    const bad = tagExpressionError(tags);
    if (bad) throw new BadRequestError(bad);
    req.tags = tags;
  }
  if (o.format !== undefined) req.format = oneOf(o, "format", ["json", "binary"] as const);
  return req;
}

function offsetEntry(v: unknown): OffsetCommitEntry {
  const e = object(v, "an offset entry");
  const entry: OffsetCommitEntry = { topic: topicName(e, "topic"), queueId: int(e, "queueId", 0, 65535), offset: int(e, "offset") };
  const epoch = optInt(e, "epoch", 0);
  if (epoch !== undefined) entry.epoch = epoch;
  const lock = optInt(e, "lock", 0);
  if (lock !== undefined) entry.lock = lock;
  return entry;
}

/** One entry or many: {group, topic, queueId, offset, epoch?} or {group, entries: [...]}. */
export function decodeOffsetCommit(o: Json): { group: string; clientId?: string; entries: OffsetCommitEntry[] } {
  const group = name(o, "group");
  const member = o.clientId === undefined ? {} : { clientId: name(o, "clientId") };
  if (o.entries !== undefined) return { group, ...member, entries: array(o, "entries").map(offsetEntry) };
  return { group, ...member, entries: [offsetEntry(o)] };
}

export type OffsetQuery =
  | { kind: "queue"; group: string; topic: string; queueId: number }
  | { kind: "topic"; group: string; topic: string }
  /** queueId absent: every queue of the topic. */
  | { kind: "timestamp"; topic: string; queueId?: number; timestamp: number };

export function decodeOffsetQuery(o: Json): OffsetQuery {
  const topic = topicName(o, "topic");
  if (o.timestamp !== undefined) {
    const timestamp = int(o, "timestamp");
    return o.queueId === undefined ? { kind: "timestamp", topic, timestamp } : { kind: "timestamp", topic, queueId: int(o, "queueId", 0, 65535), timestamp };
  }
  const group = name(o, "group");
  if (o.queueId === undefined) return { kind: "topic", group, topic };
  return { kind: "queue", group, topic, queueId: int(o, "queueId", 0, 65535) };
}

export function decodeClientHeartbeat(o: Json): ClientHeartbeat {
  const hb: ClientHeartbeat = {
    clientId: name(o, "clientId"),
    group: name(o, "group"),
    mode: oneOf(o, "mode", ["clustering", "broadcasting"] as const),
    topics: array(o, "topics").map((t) => {
      if (!isSubjectToken(t)) throw new BadRequestError(`"topics" must list topic names, got ${describe(t)}`);
      return t;
    }),
  };
  const ttl = optInt(o, "ttlMs", 100, 600_000);
  if (ttl !== undefined) hb.ttlMs = ttl;
  if (o.host !== undefined) hb.host = label(o, "host");
  if (o.version !== undefined) hb.version = label(o, "version");
  if (o.subscriptions !== undefined) hb.subscriptions = bounded(o, "subscriptions", MAX_HEARTBEAT_SUBSCRIPTIONS).map(subscription);
  if (o.queues !== undefined) hb.queues = bounded(o, "queues", MAX_HEARTBEAT_QUEUES).map(heldQueue);
  return hb;
}

/** Subscriptions one heartbeat may list. */
export const MAX_HEARTBEAT_SUBSCRIPTIONS = 256;
/** Queues one heartbeat may list: a client names those of the broker group it heartbeats to. */
export const MAX_HEARTBEAT_QUEUES = 1024;

/** A short free-text field a member says of itself (host name, version): printable, at most 128 characters. */
function label(o: Json, key: string): string {
  const v = o[key];
  if (typeof v !== "string" || v.length === 0 || v.length > 128 || /[\u0000-\u001f\u007f]/.test(v)) {
    throw new BadRequestError(`"${key}" must be 1 to 128 printable characters`);
  }
  return v;
}

function bounded(o: Json, key: string, max: number): unknown[] {
  const items = array(o, key);
  if (items.length > max) throw new BadRequestError(`"${key}" lists ${items.length}, at most ${max}`);
  return items;
}

function subscription(v: unknown): { topic: string; tags: string } {
  const s = object(v, "a subscription");
  const tags = str(s, "tags");
  const bad = tagExpressionError(tags);
  if (bad) throw new BadRequestError(bad);
  return { topic: topicName(s, "topic"), tags };
}

function heldQueue(v: unknown): { topic: string; queueId: number } {
  const q = object(v, "a queue");
  return { topic: topicName(q, "topic"), queueId: int(q, "queueId", 0, 65535) };
}

export type { OffsetCommitRequest };
