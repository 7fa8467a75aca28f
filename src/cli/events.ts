// rbus events: the cluster's events (rbus.events.>) from the JetStream stream
// run-cluster keeps them in, from --since on; with --follow it goes on with
// each new one (one ordered consumer: history and live neither overlap nor
// leave a gap). Without the stream, --follow hears events from now on only.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { timelineEvent } from "../dashboard/events-follow.js";
import type { TimelineEvent } from "../dashboard/api.js";
import { subjects, type Subjects } from "../protocol/index.js";
import { connectFromFlags, UsageError, untilSignal } from "./args.js";
import type { NatsFlags } from "./options.js";
import { sinceArg } from "./since.js";

export const EVENT_KINDS = ["liveness", "role", "store", "consumers", "reset", "dlq", "transaction"] as const;

export interface EventsFlags extends NatsFlags {
  follow: boolean;
  since: string;
  kind?: string;
  json: boolean;
}

export async function eventsCommand(values: EventsFlags): Promise<void> {
  if (values.kind !== undefined && !(EVENT_KINDS as readonly string[]).includes(values.kind)) {
    throw new UsageError(`--kind must be one of ${EVENT_KINDS.join(", ")}, got "${values.kind}"`);
  }
  const since = sinceArg(values.since);
  const subj = subjects(values.prefix);
  const filter = values.kind === undefined ? subj.events.all : subj.events.kind(values.kind);
  const nc = await connectFromFlags(values, "rbus-events");
  const print = (e: TimelineEvent) => {
    if (values.json) return console.log(JSON.stringify(e));
    console.log(`${new Date(e.at).toISOString()}  ${e.kind.padEnd(9)} ${e.subject.slice(subj.prefix.length + ".events.".length).padEnd(28)} ${JSON.stringify(e.data)}`);
  };
  const stop = async () => void (await nc.close().catch(() => undefined));
  try {
    const stream = await hasStream(nc, subj);
    if (!stream && !values.follow) {
      throw new Error(`no events stream ${subj.eventsStream} to read history from (run-cluster creates it); rbus events --follow hears new events`);
    }
    if (values.follow) untilSignal(stop);
    if (!stream) {
      console.error(`no events stream ${subj.eventsStream}: printing ${filter} from now on; Ctrl-C to stop`);
      nc.subscribe(filter, { callback: (err, m) => void (err ? undefined : print(timelineEvent(subj, m.subject, m.data, Date.now()))) });
      return;
    }
    const consumer = await jetstream(nc).consumers.get(subj.eventsStream, {
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(since).toISOString(),
      filter_subjects: filter,
    });
    const pending = (await consumer.info()).num_pending;
    if (pending === 0 && !values.follow) return await stop();
    const messages = await consumer.consume();
    if (values.follow) console.error(`following ${filter} from ${new Date(since).toISOString()}; Ctrl-C to stop`);
    for await (const m of messages) {
      print(timelineEvent(subj, m.subject, m.data, m.time.getTime()));
      if (!values.follow && m.info.pending === 0) break;
    }
    await messages.close().catch(() => undefined);
    await stop();
  } catch (err) {
    await stop();
    throw err;
  }
}

async function hasStream(nc: NatsConnection, subj: Subjects): Promise<boolean> {
  try {
    await (await jetstreamManager(nc)).streams.info(subj.eventsStream);
    return true;
  } catch {
    return false;
  }
}
