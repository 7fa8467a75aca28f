// Replies never exceed the bus's limit. NATS refuses to publish more than
// the server's max_payload (the client throws), so a responder that builds a
// reply from stored messages must size it first. The limit is read from the
// connection each time: a reconnect may land on a server with another one.
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, RbusError, type ErrorDetails } from "../src/protocol/index.js";

/** Room kept for a reply's headers (a binary pull's status and offsets). */
export const REPLY_HEADROOM = 1024;
/** Room a sender's headers and framing take in a request; the producer keeps the same. */
export const REQUEST_HEADROOM = 4096;

/** NATS's own default, for a connection that has not seen the server's INFO yet. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

export function maxPayload(nc: NatsConnection): number {
  return nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
}

/** Bytes a reply's payload may take on this connection now. */
export function replyBudget(nc: NatsConnection): number {
  return maxPayload(nc) - REPLY_HEADROOM;
}

/**
 * How many of `items`, from the front, fit in `budget` bytes once encoded as
 * a JSON array. Only called after a whole reply came out too big, so the
 * common case never encodes twice.
 */
export function fittingPrefix(items: readonly unknown[], budget: number): number {
  let used = 2;
  for (let i = 0; i < items.length; i++) {
    used += Buffer.byteLength(JSON.stringify(items[i])) + 1;
    if (used > budget) return i;
  }
  return items.length;
}

/** The typed error for one stored message that no reply on this connection can carry. */
export function tooLargeForReply(what: string, bytes: number, limit: number, details: ErrorDetails): RbusError {
  return new RbusError(
    ErrorCode.MESSAGE_TOO_LARGE,
    `${what} needs ${bytes} bytes, more than a reply can carry here (${limit}); pull with "format":"binary", or raise max_payload in nats.conf`,
    { ...details, bytes, limit },
  );
}
