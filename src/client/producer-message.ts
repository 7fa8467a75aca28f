// What a producer sends, checked once on the caller's side: the same rules
// for send (headers) and sendAsync (send.batch), so a message refused by
// one path is refused by the other, before anything leaves the process.
import { headers, type Msg, type MsgHdrs } from "@nats-io/transport-node";
import {
  BadRequestError,
  decodeBatchReply,
  ErrorCode,
  Header,
  isSubjectToken,
  RbusError,
  type BatchSendResult,
  type SendStatus,
} from "../protocol/index.js";
import { decodeReply } from "../runtime/request.js";
import type { Outgoing } from "./batcher-wire.js";
import { delayProperty, isTimed, type MessageDelay } from "./producer-delay.js";

/** RocketMQ's Message: a body and its properties; tags and keys are properties with a meaning. */
export interface Message extends MessageDelay {
  topic: string;
  body: string | Uint8Array;
  /** One tag, for consumers' tag filters. */
  tags?: string;
  /** Business keys, for lookup by key; stored space-separated. */
  keys?: string | string[];
  /** User properties; names are NATS header names and must not start with "Rbus-". */
  properties?: Record<string, string>;
  /** Pin the queue id (in the first group that has it, or SendOptions.group): no retry elsewhere. */
  queueId?: number;
}

/** A message checked once: what send's headers and a batch's encoding are written from. */
export type PreparedEntry = Outgoing;

const U16 = 0xffff;
const HEADER_NAME = /^[!-9;-~]+$/;
const encoder = new TextEncoder();

function fieldBytes(s: string, what: string): number {
  const n = Buffer.byteLength(s);
  if (n > U16) throw new BadRequestError(`${what} is ${n} bytes; at most ${U16}`);
  return n;
}

/** A fresh entry, every field set: one object shape keeps the hot path monomorphic. */
export const blankEntry = (): Outgoing => ({
  topic: "", queueId: -1, body: EMPTY, text: undefined, bodyLength: 0, tags: undefined, keys: undefined, properties: undefined, bornTimestamp: 0, flags: 0, size: 0, props: 0,
});
const EMPTY = new Uint8Array(0);

/**
 * Checks a message and writes what a batch or a send needs of it into
 * `into` (sendAsync reuses one object: the batch encodes it at once). With
 * `text`, a string body stays a string (`into.text`) for the batch to write
 * as UTF-8 in place: no Uint8Array of its own per message. Throws
 * BadRequestError for a malformed message and RbusError MESSAGE_TOO_LARGE
 * when the body and its properties (tags, keys, user properties) exceed
 * `maxBytes`.
 */
export function check(msg: Message, into: Outgoing, maxBytes: number, now: number, limitSource = "maxMessageBytes", text = false): Outgoing {
  const topic = msg.topic;
  if (!isSubjectToken(topic)) throw new BadRequestError(`topic "${topic}" must be letters, digits, '-' or '_' (at most 128)`);
  const raw = msg.body;
  let bodyLength: number;
  if (text && typeof raw === "string") {
    into.text = raw;
    into.body = EMPTY;
    bodyLength = Buffer.byteLength(raw);
  } else {
    const body = typeof raw === "string" ? encoder.encode(raw) : raw;
    if (!(body instanceof Uint8Array)) throw new BadRequestError("a message body is a string or a Uint8Array");
    into.text = undefined;
    into.body = body;
    bodyLength = body.byteLength;
  }
  into.bodyLength = bodyLength;
  let size = bodyLength;
  let props = 0;
  into.topic = topic;
  into.queueId = -1;
  into.tags = into.keys = into.properties = undefined;
  into.bornTimestamp = now;
  if (msg.tags) {
    size += fieldBytes(msg.tags, "tags");
    into.tags = msg.tags;
  }
  if (msg.keys !== undefined && msg.keys.length > 0) {
    const keys = typeof msg.keys === "string" ? msg.keys : msg.keys.join(" ");
    size += fieldBytes(keys, "keys");
    into.keys = keys;
  }
  let p = msg.properties;
  if (isTimed(msg)) {
    // a copy: the caller's properties object is not changed
    const [name, value] = delayProperty(msg);
    p = { ...p, [name]: value };
  }
  if (p) {
    for (const k in p) {
      if (!HEADER_NAME.test(k)) throw new BadRequestError(`property name "${k}" must be printable ASCII without ':' or spaces`);
      if (k.length >= 5 && k.slice(0, 5).toLowerCase() === "rbus-") throw new BadRequestError(`property name "${k}": the Rbus- prefix is reserved`);
      const v = p[k];
      if (typeof v !== "string" || /[\r\n]/.test(v)) throw new BadRequestError(`property "${k}" must be a string without CR or LF`);
      size += k.length + fieldBytes(v, `property "${k}"`);
      props++;
    }
    into.properties = p;
  }
  if (size > maxBytes) {
    throw new RbusError(
      ErrorCode.MESSAGE_TOO_LARGE,
      `message to "${topic}" is ${size} bytes (body ${bodyLength} + properties ${size - bodyLength}); the limit is ${maxBytes} (${limitSource})`,
    );
  }
  if (msg.queueId !== undefined) {
    if (!Number.isInteger(msg.queueId) || msg.queueId < 0) throw new BadRequestError(`queueId must be a non-negative integer, got ${msg.queueId}`);
    into.queueId = msg.queueId;
  }
  into.size = size;
  into.props = props;
  return into;
}

/** check() into an entry of its own, for a send or a message that waits for its route. */
export const prepare = (msg: Message, maxBytes: number, now: number, limitSource?: string): PreparedEntry =>
  check(msg, blankEntry(), maxBytes, now, limitSource);

/** The headers of a single `send`: the entry's fields, then user properties. */
export function sendHeaders(e: PreparedEntry, queueId: number): MsgHdrs {
  const h = headers();
  h.set(Header.topic, e.topic);
  h.set(Header.queue, String(queueId));
  h.set(Header.born, String(e.bornTimestamp));
  if (e.tags) h.set(Header.tags, e.tags);
  if (e.keys) h.set(Header.keys, e.keys);
  if (e.properties) for (const k in e.properties) h.set(k, e.properties[k]!);
  return h;
}

/** A send.batch reply: binary rows with the status in headers, or an error envelope (thrown). */
export function decodeBatchSendReply(msg: Msg): BatchSendResult {
  const h = msg.headers;
  const status = h?.get(Header.status);
  if (!status) {
    decodeReply<unknown>(msg); // throws the envelope's error
    throw new RbusError(ErrorCode.INTERNAL, `send.batch reply on ${msg.subject} has no ${Header.status} header`);
  }
  return { status: status as SendStatus, group: h!.get(Header.group), topic: h!.get(Header.topic), ...decodeBatchReply(msg.data) };
}
