// rbus progress: how far a consumer group got on each queue (of one topic,
// or of every topic it reads), how far behind it is (lag = the queue's end −
// the committed offset) and which client holds each queue now. A group no
// broker knows is GROUP_NOT_EXIST with the nearest group's name.
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../client/admin.js";
import { dlqTopic, retryTopic } from "../protocol/index.js";
import { withNats } from "./connected.js";
import { dlqQueues, retryQueues } from "./dlq-read.js";
import type { NatsFlags } from "./options.js";
import { table } from "./table.js";

export interface QueueLag {
  topic: string;
  broker: string;
  queueId: number;
  minOffset: number;
  maxOffset: number;
  /** -1 when the group never committed on this queue. */
  committed: number;
  /** Messages not yet consumed: from the committed offset (or the queue's start) to its end. */
  lag: number;
  /** The client that holds the queue now, when a member does. */
  owner?: string;
  /** The member holding the queue's lock (orderly consumers). */
  lockedBy?: string;
}

/** The group's retry and dead-letter topics, summed over broker groups (docs/retries.md). */
export interface RetryCounts {
  /** Messages that came back through %RETRY%<group>, and those of them not consumed yet. */
  retry: { topic: string; stored: number; pending: number };
  /** Messages in %DLQ%<group>, and those not resent yet (rbus dlq resend). */
  dlq: { topic: string; stored: number; notResent: number };
}

async function retryCounts(nc: NatsConnection, prefix: string | undefined, group: string): Promise<RetryCounts> {
  const [retry, dlq] = await Promise.all([retryQueues(nc, prefix, group), dlqQueues(nc, prefix, group)]);
  const sum = (qs: typeof retry, f: (q: (typeof retry)[number]) => number) => qs.reduce((s, q) => s + f(q), 0);
  return {
    retry: { topic: retryTopic(group), stored: sum(retry, (q) => q.maxOffset - q.minOffset), pending: sum(retry, (q) => q.maxOffset - q.resentTo) },
    dlq: { topic: dlqTopic(group), stored: sum(dlq, (q) => q.maxOffset - q.minOffset), notResent: sum(dlq, (q) => q.maxOffset - q.resentTo) },
  };
}

export async function progressCommand(group: string, values: NatsFlags & { topic?: string; json: boolean }): Promise<void> {
  await withNats(values, async (nc) => {
    const found = await new Admin(nc, { prefix: values.prefix }).consumerProgress(group, values.topic);
    const rows: QueueLag[] = found.map((q) => ({
      topic: q.topic, broker: q.broker, queueId: q.queueId, minOffset: q.minOffset, maxOffset: q.maxOffset, committed: q.offset, lag: q.lag,
      ...(q.owner === undefined ? {} : { owner: q.owner }),
      ...(q.lockedBy === undefined ? {} : { lockedBy: q.lockedBy }),
    }));
    const total = rows.reduce((s, r) => s + r.lag, 0);
    const counts = await retryCounts(nc, values.prefix, group);
    if (values.json) {
      console.log(JSON.stringify({ group, ...(values.topic ? { topic: values.topic } : {}), totalLag: total, queues: rows, ...counts }, null, 2));
      return;
    }
    console.log(`Consumer group ${group}${values.topic ? ` on ${values.topic}` : ""}:`);
    const topics = !values.topic;
    // orderly groups: who holds each queue's lock, beside who says it reads it
    const locks = rows.some((r) => r.lockedBy !== undefined);
    console.log(
      table(
        [...(topics ? ["TOPIC"] : []), "BROKER", "QUEUE", "BROKER OFFSET", "CONSUMER OFFSET", "LAG", "OWNER", ...(locks ? ["LOCKED BY"] : [])],
        rows.map((r) => [...(topics ? [r.topic] : []), r.broker, String(r.queueId), String(r.maxOffset), r.committed < 0 ? "-" : String(r.committed), String(r.lag), r.owner ?? "-",
          ...(locks ? [r.lockedBy ?? "-"] : [])]),
      ),
    );
    console.log(`total lag: ${total}`);
    console.log(`retries: ${counts.retry.stored} through ${counts.retry.topic}, ${counts.retry.pending} not consumed yet; ` +
      `dead letters: ${counts.dlq.stored} in ${counts.dlq.topic}, ${counts.dlq.notResent} not resent`);
  });
}
