// JSON requests over NATS with the error envelope turned back into errors.
import { NoRespondersError, RequestError, TimeoutError, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { decodeJson, encodeJson, ErrorCode, fromWire, isErrorEnvelope, RbusError } from "../protocol/index.js";

/** A reply's JSON, or the RbusError its envelope carries. */
export function decodeReply<T>(msg: Msg): T {
  let v: unknown;
  try {
    v = decodeJson(msg.data);
  } catch {
    throw new RbusError(ErrorCode.INTERNAL, `reply on ${msg.subject} is not JSON`);
  }
  if (isErrorEnvelope(v)) throw fromWire(v);
  return v as T;
}

/** NATS request failures as RbusErrors with a code a caller can act on. */
export function natsError(err: unknown, subject: string): unknown {
  if ((err instanceof RequestError && err.isNoResponders()) || err instanceof NoRespondersError) {
    return new RbusError(ErrorCode.NO_RESPONDERS, `nobody serves ${subject}; is the node running?`);
  }
  if (err instanceof TimeoutError || (err instanceof Error && err.cause instanceof TimeoutError)) {
    return new RbusError(ErrorCode.TIMEOUT, `no reply on ${subject} in time`);
  }
  return err;
}

export async function requestJson<T>(nc: NatsConnection, subject: string, body: unknown, timeoutMs = 3000): Promise<T> {
  let msg: Msg;
  try {
    msg = await nc.request(subject, encodeJson(body), { timeout: timeoutMs });
  } catch (err) {
    throw natsError(err, subject);
  }
  return decodeReply<T>(msg);
}

export interface RequestAllOptions {
  /** Stop collecting once no reply came for this long after the last one. */
  stallMs?: number;
  /** Stop collecting after this long in any case. */
  maxWaitMs?: number;
  /** Stop collecting once this many replies came (the listeners known to be there); 0: no such limit. */
  enough?: number;
}

/**
 * One request that every listener answers (the NameServers on register):
 * all replies, in arrival order; error envelopes come back as RbusErrors
 * in the list rather than thrown, so one bad answer does not hide the rest.
 */
export async function requestAll<T>(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  opts: RequestAllOptions = {},
): Promise<Array<T | RbusError>> {
  const out: Array<T | RbusError> = [];
  try {
    const replies = await nc.requestMany(subject, encodeJson(body), {
      strategy: "stall",
      stall: opts.stallMs ?? 150,
      maxWait: opts.maxWaitMs ?? 3000,
    });
    for await (const msg of replies) {
      try {
        out.push(decodeReply<T>(msg));
      } catch (err) {
        if (err instanceof RbusError) out.push(err);
        else throw err;
      }
      if (opts.enough && out.length >= opts.enough) break;
    }
  } catch (err) {
    const e = natsError(err, subject);
    if (!(e instanceof RbusError) || e.code !== ErrorCode.NO_RESPONDERS) throw e;
  }
  return out;
}
