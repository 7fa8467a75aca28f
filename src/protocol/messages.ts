// Wire shapes of the data plane: send, send.batch, pull, offsets, topics,
// consumer membership. See docs/protocol.md for examples.
import { BadRequestError } from "./errors.js";

/** NATS headers on `send` (and `Rbus-Topic` on `send.batch`). Any other header is a user property. */
export const Header = {
  topic: "Rbus-Topic",
  tags: "Rbus-Tags",
  keys: "Rbus-Keys",
  queue: "Rbus-Queue",
  /** Producer's clock in ms since the epoch (RocketMQ's bornTimestamp). */
  born: "Rbus-Born",
  /**
   * On send and send.batch: ms since the epoch after which the sender has
   * given up; a broker that gets to the request later answers
   * DEADLINE_EXCEEDED and stores nothing.
   */
  deadline: "Rbus-Deadline",
  /** On a binary pull reply. */
  status: "Rbus-Status",
  nextOffset: "Rbus-Next-Offset",
  minOffset: "Rbus-Min-Offset",
  maxOffset: "Rbus-Max-Offset",
  group: "Rbus-Group",
  /** On a pull reply: the replica address to pull this queue from next (PullReply.readFrom). */
  readFrom: "Rbus-Read-From",
} as const;

export const SendStatus = {
  SEND_OK: "SEND_OK",
  /** Stored, but the sync flush did not finish in time (RocketMQ's FLUSH_DISK_TIMEOUT). */
  FLUSH_DISK_TIMEOUT: "FLUSH_DISK_TIMEOUT",
} as const;
export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus];

export interface SendResult {
  status: SendStatus;
  msgId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
}

/**
 * Reply to send.batch, in request order, one column per field (binary on
 * the wire: see encodeBatchReply). A message id is encodeMsgId(group,
 * commitLogOffsets[i]).
 */
export interface BatchSendResult {
  status: SendStatus;
  topic: string;
  group: string;
  queueIds: number[];
  queueOffsets: number[];
  commitLogOffsets: number[];
}

export const PullStatus = {
  FOUND: "FOUND",
  NO_NEW_MSG: "NO_NEW_MSG",
  /** Messages were there but none matched the tag filter; continue from nextOffset. */
  NO_MATCHED_MSG: "NO_MATCHED_MSG",
  /** The offset is below the queue's first message (retention removed it); continue from nextOffset. */
  OFFSET_MOVED: "OFFSET_MOVED",
} as const;
export type PullStatus = (typeof PullStatus)[keyof typeof PullStatus];

export interface PullRequest {
  group: string;
  topic: string;
  queueId: number;
  offset: number;
  /** At most this many messages (default 32, at most 1024). */
  max: number;
  /** Hold the request this long when there is nothing new (long polling; default 0, at most 30 000). */
  waitMs: number;
  /** RocketMQ subscription expression: "*" or "tagA || tagB". */
  tags?: string;
  /** "json" (default) or "binary": headers carry the status and offsets, the payload is commit-log records. */
  format?: "json" | "binary";
}

export interface WireMessage {
  msgId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  tags: string;
  keys: string;
  properties: Record<string, string>;
  bornAt: number;
  storedAt: number;
  body: string;
  bodyEncoding?: "base64";
}

export interface PullReply {
  status: PullStatus;
  nextOffset: number;
  minOffset: number;
  maxOffset: number;
  messages: WireMessage[];
  /**
   * The replica (address) to pull this queue from next: a slave when the
   * consumer is far behind the master's log end, the master's address to
   * send it back. Absent: keep pulling where this reply came from.
   */
  readFrom?: string;
}

export interface OffsetCommitRequest {
  group: string;
  /** The committing member: a queue locked by another member of the group refuses it (orderly consumers, lock.batch). */
  clientId?: string;
  /** One entry, or `entries` for many in one request. */
  topic?: string;
  queueId?: number;
  offset?: number;
  entries?: OffsetCommitEntry[];
}

export interface OffsetCommitEntry {
  /** The queue lock's fencing token the member holds it under (orderly consumers; LockBatchReply). */
  lock?: number;
  topic: string;
  queueId: number;
  offset: number;
  /**
   * The reset epoch the position was read under (offset.query's and the
   * reset notice's `epoch`; 0 or absent: before any reset). The master
   * refuses an entry whose epoch is older than the queue's last reset.
   */
  epoch?: number;
}

/** offset.commit's answer: entries refused because a reset came after the position they carry. */
export interface OffsetCommitReply {
  ok: true;
  committed: number;
  /** Each refused entry's queue with the offset and epoch the master holds now. */
  stale?: Array<{ topic: string; queueId: number; offset: number; epoch: number }>;
}

export interface QueueProgress {
  queueId: number;
  /** The group's committed offset; -1 when it never committed. */
  offset: number;
  minOffset: number;
  maxOffset: number;
  /** The queue's reset epoch for the group on the master (absent: no reset since it started). */
  epoch?: number;
}

/**
 * offset.query: {group, topic, queueId} → one queue; {group, topic} → every
 * queue; {topic, timestamp[, queueId]} → per queue, in `offset`, the first
 * offset stored at or after that time (the queue's max when none is).
 */
export interface OffsetQueryReply {
  topic: string;
  queues: QueueProgress[];
  /** A timestamp query: the time asked. */
  timestamp?: number;
  /** A timestamp query for one queue: its offset at that time (as queues[0].offset). */
  offset?: number;
}

export const ConsumeMode = { clustering: "clustering", broadcasting: "broadcasting" } as const;
export type ConsumeMode = (typeof ConsumeMode)[keyof typeof ConsumeMode];

export interface ClientHeartbeat {
  clientId: string;
  group: string;
  mode: ConsumeMode;
  topics: string[];
  /** The broker forgets the member after this long without a heartbeat (default 30 000). */
  ttlMs?: number;
  /** The client's host name (consumer.connection). */
  host?: string;
  /** The client's Rocketbus version (package.json). */
  version?: string;
  /** Each subscribed topic with its tag expression (validated: a bad expression is BAD_REQUEST). */
  subscriptions?: Array<{ topic: string; tags: string }>;
  /** The queues of this broker group the client reads now (consumer.progress names it their owner). */
  queues?: Array<{ topic: string; queueId: number }>;
}

/** Reply to client.heartbeat / client.unregister, and the event on rbus.events.consumers.<group>. */
export interface ConsumerMembers {
  group: string;
  /** Client ids of the live members, sorted. */
  members: string[];
  /** On rbus.events.consumers.<group>: the address of the broker replica whose view this is. */
  broker?: string;
  /**
   * On rbus.events.consumers.<group>: this broker group has just made the
   * group's retry topic (a first send-back there). Every member starts
   * looking for its route at once, so the member the retry queue is
   * balanced to reads it before the first retry is due.
   */
  retryTopicOn?: string;
}

/**
 * A message id names the broker group and the commit-log offset, so a
 * lookup needs no index: "<group>:<offset as 16 hex digits>".
 */
export function encodeMsgId(group: string, commitLogOffset: number): string {
  // a byte at a time from a table: about half the cost of toString(16) and padding, once per message delivered
  const hi = Math.floor(commitLogOffset / 4294967296);
  const lo = commitLogOffset >>> 0;
  return group + ":" + HEX[hi >>> 24]! + HEX[(hi >>> 16) & 255]! + HEX[(hi >>> 8) & 255]! + HEX[hi & 255]! +
    HEX[lo >>> 24]! + HEX[(lo >>> 16) & 255]! + HEX[(lo >>> 8) & 255]! + HEX[lo & 255]!;
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function decodeMsgId(id: string): { group: string; commitLogOffset: number } | undefined {
  const at = id.lastIndexOf(":");
  if (at <= 0 || id.length - at - 1 !== 16) return undefined;
  const offset = Number.parseInt(id.slice(at + 1), 16);
  if (!Number.isSafeInteger(offset)) return undefined;
  return { group: id.slice(0, at), commitLogOffset: offset };
}

/** Longest subscription expression accepted (RocketMQ keeps them in memory per subscription too). */
export const MAX_TAG_EXPRESSION = 1024;

/**
 * Parses a subscription expression, `*` or `tagA || tagB`: undefined for all
 * messages, else the tags. An expression with an empty alternative
 * (`created ||`, `|| a`, `a |||| b`), a lone `|` inside a tag, or over
 * MAX_TAG_EXPRESSION characters is a typo that would silently match less
 * than meant: BAD_REQUEST.
 */
export function parseTagExpression(expr: string | undefined): string[] | undefined {
  if (expr === undefined) return undefined;
  const bad = tagExpressionError(expr);
  if (bad) throw new BadRequestError(bad);
  const tags = expr.split("||").map((t) => t.trim());
  if (tags.includes("*")) return undefined;
  return tags;
}

/** Why a subscription expression is refused, or undefined when it is well formed. */
export function tagExpressionError(expr: string): string | undefined {
  const shown = JSON.stringify(expr.length > 64 ? `${expr.slice(0, 64)}…` : expr);
  if (expr.length > MAX_TAG_EXPRESSION) return `tag expression is longer than ${MAX_TAG_EXPRESSION} characters`;
  const parts = expr.split("||").map((t) => t.trim());
  if (parts.some((t) => t.length === 0)) return `tag expression ${shown} has an empty alternative: write "*" or "tagA || tagB"`;
  if (parts.some((t) => t.includes("|"))) return `tag expression ${shown} has a single "|": alternatives are separated by "||"`;
  return undefined;
}
