// Decoders for the data-plane requests a broker receives.
import { BadRequestError } from "./errors.js";
import { isSubjectToken } from "./subjects.js";
import type { ClientHeartbeat, OffsetCommitRequest, PullRequest } from "./messages.js";
import { array, describe, int, name, object, topicName, oneOf, optInt, optStr, type Json } from "./validate.js";

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
  if (tags !== undefined) req.tags = tags;
  if (o.format !== undefined) req.format = oneOf(o, "format", ["json", "binary"] as const);
  return req;
}

function offsetEntry(v: unknown) {
  const e = object(v, "an offset entry");
  return { topic: topicName(e, "topic"), queueId: int(e, "queueId", 0, 65535), offset: int(e, "offset") };
}

/** One entry or many: {group, topic, queueId, offset} or {group, entries: [...]}. */
export function decodeOffsetCommit(o: Json): { group: string; entries: Array<{ topic: string; queueId: number; offset: number }> } {
  const group = name(o, "group");
  if (o.entries !== undefined) return { group, entries: array(o, "entries").map(offsetEntry) };
  return { group, entries: [offsetEntry(o)] };
}

export type OffsetQuery =
  | { kind: "queue"; group: string; topic: string; queueId: number }
  | { kind: "topic"; group: string; topic: string }
  | { kind: "timestamp"; topic: string; queueId: number; timestamp: number };

export function decodeOffsetQuery(o: Json): OffsetQuery {
  const topic = topicName(o, "topic");
  if (o.timestamp !== undefined) return { kind: "timestamp", topic, queueId: int(o, "queueId", 0, 65535), timestamp: int(o, "timestamp") };
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
  return hb;
}

export type { OffsetCommitRequest };
