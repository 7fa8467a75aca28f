// rbus.events.> as one ordered time line: when the events stream (RBUS_EVENTS,
// or <PREFIX>_EVENTS) exists, an ordered JetStream consumer reads its last
// messages and then every new one, so history and live events neither
// overlap nor leave a gap; without the stream, a plain subscription
// hears what is published from now on.
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { decodeJson, type Subjects } from "../protocol/index.js";
import type { Logger } from "../runtime/log.js";
import type { TimelineEvent } from "./api.js";

export interface EventFollower {
  /** "stream": history and live from the events stream; "live": from now on only. */
  source: "stream" | "live";
  stop(): Promise<void>;
}

export interface FollowOptions {
  /** How many of the stream's last messages to read first. */
  history: number;
  maxBytes: number;
  log: Logger;
  onEvent: (e: TimelineEvent) => void;
  onDrop: () => void;
}

/** A message of rbus.events.> as the time line keeps it; `at` from the payload when it says, else when NATS got it. */
export function timelineEvent(subj: Subjects, subject: string, data: Uint8Array, receivedAt: number): TimelineEvent {
  let payload: unknown;
  try {
    payload = decodeJson(data);
  } catch {
    payload = new TextDecoder().decode(data);
  }
  const kind = subject.slice(subj.prefix.length + ".events.".length).split(".")[0] ?? "";
  const said = (payload as { at?: unknown } | null)?.at;
  const at = typeof said === "number" && Number.isFinite(said) ? said : receivedAt;
  return { subject, kind, at, data: payload };
}

export async function followEvents(nc: NatsConnection, subj: Subjects, opts: FollowOptions): Promise<EventFollower> {
  const take = (subject: string, data: Uint8Array, at: number) => {
    if (data.length > opts.maxBytes) return opts.onDrop();
    opts.onEvent(timelineEvent(subj, subject, data, at));
  };
  let messages: ConsumerMessages;
  try {
    const info = await (await jetstreamManager(nc)).streams.info(subj.eventsStream);
    const start = Math.max(1, info.state.first_seq, info.state.last_seq - opts.history + 1);
    const consumer = await jetstream(nc).consumers.get(subj.eventsStream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start });
    messages = await consumer.consume();
  } catch (err) {
    opts.log.info("events stream not readable: following rbus.events.> from now on", { stream: subj.eventsStream, error: err instanceof Error ? err.message : String(err) });
    const sub: Subscription = nc.subscribe(subj.events.all, { callback: (e, m) => void (e ? undefined : take(m.subject, m.data, Date.now())) });
    return { source: "live", stop: () => sub.drain().catch(() => undefined) };
  }
  const reading = (async () => {
    for await (const m of messages) take(m.subject, m.data, m.time.getTime());
  })().catch((err: unknown) => opts.log.warn("events stream reading ended", { error: err instanceof Error ? err.message : String(err) }));
  return {
    source: "stream",
    stop: async () => {
      await messages.close().catch(() => undefined);
      await reading;
    },
  };
}
