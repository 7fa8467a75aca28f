// The JetStream stream that keeps the history of rbus.events.> (liveness,
// roles, elections, topic changes) across restarts. Created idempotently:
// run at every cluster start; an existing stream is updated to these limits.
import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { subjects } from "../protocol/index.js";

export interface EventsStreamLimits {
  maxAgeMs: number;
  maxBytes: number;
}

export const DEFAULT_EVENTS_LIMITS: EventsStreamLimits = { maxAgeMs: 7 * 24 * 3600_000, maxBytes: 256 * 1024 * 1024 };

/** Creates or updates the events stream; returns whether it was created. */
export async function ensureEventsStream(
  nc: NatsConnection,
  prefix?: string,
  limits: EventsStreamLimits = DEFAULT_EVENTS_LIMITS,
): Promise<"created" | "updated"> {
  const subj = subjects(prefix);
  const jsm = await jetstreamManager(nc);
  const config = {
    subjects: [subj.events.all],
    max_age: nanos(limits.maxAgeMs),
    max_bytes: limits.maxBytes,
    discard: DiscardPolicy.Old,
  };
  try {
    await jsm.streams.info(subj.eventsStream);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    await jsm.streams.add({
      name: subj.eventsStream,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      ...config,
    });
    return "created";
  }
  await jsm.streams.update(subj.eventsStream, config);
  return "updated";
}
