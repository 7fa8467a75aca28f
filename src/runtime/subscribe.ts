// Subscriptions that outlive any payload. nats.js runs a subscription's
// callback inside the connection's read loop: a callback that throws takes
// the reader down with it, and every subscription of the connection goes
// quiet while the process stays up. Events, inspection and notifications
// come from anyone who can publish, so each message is decoded and handled
// inside a guard; a message that does not decode, or that the handler
// rejects, is logged (rate-limited) and dropped, and the next one is read.
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { decodeJson } from "../protocol/index.js";
import type { Logger } from "./log.js";

/** At most one "dropped" line per subscription in this window; the rest are counted into it. */
const LOG_EVERY_MS = 10_000;

export interface SafeSubscribeOptions<T> {
  log: Logger;
  /** Checks the decoded JSON and returns it typed; throws for a payload of the wrong shape. */
  decode?: (value: unknown) => T;
  queue?: string;
  /** Logged at warn instead of debug: for subscriptions a person watches (the CLI). */
  loud?: boolean;
}

/** Rate-limits the log lines of one subscription's dropped messages. */
export class DropLog {
  private dropped = 0;
  private lastAt = -Infinity;

  constructor(
    private readonly log: Logger,
    private readonly subject: string,
    private readonly loud: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a dropped message; logs it with the count since the last line when the window has passed. */
  drop(msg: Msg | undefined, err: unknown): void {
    this.dropped++;
    const now = this.now();
    if (now - this.lastAt < LOG_EVERY_MS) return;
    this.lastAt = now;
    const fields = { subject: msg?.subject ?? this.subject, dropped: this.dropped, error: err instanceof Error ? err.message : String(err) };
    this.dropped = 0;
    if (this.loud) this.log.warn("malformed message dropped", fields);
    else this.log.debug("malformed message dropped", fields);
  }
}

/** Subscribes and hands each message's decoded JSON to `handle`; nothing a publisher sends can end the subscription. */
export function subscribeJson<T = unknown>(
  nc: NatsConnection,
  subject: string,
  handle: (value: T, msg: Msg) => void,
  opts: SafeSubscribeOptions<T>,
): Subscription {
  const drops = new DropLog(opts.log, subject, opts.loud ?? false);
  const decode = opts.decode ?? ((v: unknown) => v as T);
  return nc.subscribe(subject, {
    ...(opts.queue ? { queue: opts.queue } : {}),
    callback: (err, msg) => {
      if (err) {
        opts.log.warn("subscription error", { subject, error: err.message });
        return;
      }
      try {
        handle(decode(decodeJson(msg.data)), msg);
      } catch (e) {
        drops.drop(msg, e);
      }
    },
  });
}

/** A decoder for objects whose listed fields are strings; the rest is left as it is. */
export function objectWith<T>(...stringFields: string[]): (value: unknown) => T {
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError("not a JSON object");
    for (const f of stringFields) {
      if (typeof (value as Record<string, unknown>)[f] !== "string") throw new TypeError(`field "${f}" is not a string`);
    }
    return value as T;
  };
}
