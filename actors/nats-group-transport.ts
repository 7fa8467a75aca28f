// GroupTransport over NATS: replica i serves rbus.broker.<g>.<i>.ha.*, and
// every replica of the group listens on rbus.broker.<g>.vote. Replicas find
// each other by these subjects alone, never by an address list. A request
// to a replica whose process or connection is gone fails at once with
// NO_RESPONDERS (the server knows nobody subscribes): that is how a slave
// learns within one fetch that its master was killed.
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeJson, ErrorCode, fromWire, isErrorEnvelope, RbusError, subjects, toEnvelope, encodeJson } from "../src/protocol/index.js";
import type { Logger } from "../src/runtime/log.js";
import { natsError } from "../src/runtime/request.js";
import type { GroupApi, GroupHandler, GroupTransport } from "./group-transport.js";
import { serve } from "./responder.js";

const OPEN_BRACE = 0x7b;

/** An error envelope in a reply becomes the RbusError it carries; anything else is returned as it is. */
function unwrap(data: Uint8Array): Uint8Array {
  if (data[0] !== OPEN_BRACE) return data;
  let v: unknown;
  try {
    v = decodeJson(data);
  } catch {
    return data;
  }
  if (isErrorEnvelope(v)) throw fromWire(v);
  return data;
}

export function natsGroupTransport(nc: NatsConnection, group: string, replica: number, log: Logger, prefix?: string): GroupTransport {
  const subj = subjects(prefix);
  return {
    async request(to: number, api: GroupApi, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
      const subject = subj.broker(group, to, api);
      try {
        const msg = await nc.request(subject, data, { timeout: timeoutMs });
        return unwrap(msg.data);
      } catch (err) {
        if (err instanceof RbusError) throw err;
        if (nc.isClosed()) throw new RbusError(ErrorCode.TIMEOUT, "the connection is closed");
        throw natsError(err, subject);
      }
    },

    broadcast(data: Uint8Array, windowMs: number, onReply: (data: Uint8Array) => void): void {
      void (async () => {
        try {
          const replies = await nc.requestMany(subj.vote(group), data, { strategy: "timer", maxWait: windowMs });
          for await (const m of replies) {
            if (m.data.byteLength > 0) onReply(m.data);
          }
        } catch (err) {
          log.debug("vote broadcast ended", { error: String(err) });
        }
      })();
    },

    serve(api: GroupApi, handler: GroupHandler): () => void {
      const sub = serve(nc, subj.broker(group, replica, api), (msg) => handler(msg.data), { log });
      return () => sub.unsubscribe();
    },

    serveVotes(handler: GroupHandler): () => void {
      const sub = nc.subscribe(subj.vote(group), {
        callback: (err, msg) => {
          if (err || !msg.reply) return;
          void (async () => {
            try {
              const out = await handler(msg.data);
              // an empty answer is no answer: a replica does not vote on its own request
              if (out.byteLength > 0) msg.respond(out);
            } catch (e) {
              try {
                msg.respond(encodeJson(toEnvelope(e)));
              } catch {
                // the connection is closing
              }
            }
          })();
        },
      });
      return () => sub.unsubscribe();
    },

    onConnection(listener: (up: boolean) => void): () => void {
      let stopped = false;
      void (async () => {
        for await (const s of nc.status()) {
          if (stopped) break;
          if (s.type === "disconnect") listener(false);
          else if (s.type === "reconnect") listener(true);
        }
      })();
      return () => {
        stopped = true;
      };
    },
  };
}
