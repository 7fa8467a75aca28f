// Serves one request subject: decodes nothing itself, but guarantees that
// every request gets exactly one reply, an error envelope when the handler
// throws, and that no handler error escapes into the subscription.
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { encodeJson, ErrorCode, RbusError, toEnvelope } from "../src/protocol/index.js";
import type { Logger } from "../src/runtime/log.js";
import type { EndpointStats } from "./endpoint-stats.js";

import type { MsgHdrs } from "@nats-io/transport-node";

export type Handler = (msg: Msg) => unknown | Promise<unknown>;

/** A reply sent as it is (binary payload, with headers) instead of as JSON. */
export class RawReply {
  constructor(
    readonly data: Uint8Array,
    readonly headers?: MsgHdrs,
  ) {}
}

export interface ServeOptions {
  queue?: string;
  log: Logger;
  /** Counts requests, errors and time to reply, for $SRV.STATS (service-discovery.ts). */
  stats?: EndpointStats;
}

/**
 * Sends a handler's result. A reply NATS refuses (larger than max_payload:
 * the client throws) becomes an error reply instead of an exception that
 * would escape into the subscription and end the process.
 */
export function reply(msg: Msg, result: unknown, log: Logger): void {
  if (!msg.reply) return;
  try {
    if (result instanceof RawReply) msg.respond(result.data, result.headers ? { headers: result.headers } : undefined);
    else msg.respond(result instanceof Uint8Array ? result : encodeJson(result));
  } catch (err) {
    const size = result instanceof RawReply ? result.data.byteLength : result instanceof Uint8Array ? result.byteLength : -1;
    log.error("reply not sent", { subject: msg.subject, bytes: size, error: String(err) });
    const tooLarge = /max_payload/.test(String(err));
    const code = tooLarge ? ErrorCode.MESSAGE_TOO_LARGE : ErrorCode.INTERNAL;
    replyError(msg, new RbusError(code, `the reply (${size} bytes) could not be sent: ${String(err)}`), log);
  }
}

export function replyError(msg: Msg, err: unknown, log: Logger): void {
  if (!(err instanceof RbusError)) log.error("request failed", { subject: msg.subject, error: String(err) });
  else log.debug("request refused", { subject: msg.subject, code: err.code });
  if (!msg.reply) return;
  try {
    msg.respond(encodeJson(toEnvelope(err)));
  } catch (e) {
    log.warn("error reply not sent", { subject: msg.subject, error: String(e) }); // the connection is closing
  }
}

export function serve(nc: NatsConnection, subject: string, handler: Handler, opts: ServeOptions): Subscription {
  const { log, stats } = opts;
  return nc.subscribe(subject, {
    ...(opts.queue ? { queue: opts.queue } : {}),
    callback: (err, msg) => {
      if (err) {
        log.warn("subscription error", { subject, error: err.message });
        return;
      }
      const t0 = stats ? performance.now() : 0;
      try {
        const out = handler(msg);
        if (out instanceof Promise) {
          out.then(
            (r) => (reply(msg, r, log), stats?.done(t0)),
            (e) => (replyError(msg, e, log), stats?.failed(t0, e)),
          );
        } else {
          reply(msg, out, log);
          stats?.done(t0);
        }
      } catch (e) {
        replyError(msg, e, log);
        stats?.failed(t0, e);
      }
    },
  });
}
