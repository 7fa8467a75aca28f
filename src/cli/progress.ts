// rbus progress: how far a consumer group got on each queue (of one topic,
// or of every topic it reads), how far behind it is (lag = the queue's end −
// the committed offset) and which client holds each queue now. A group no
// broker knows is GROUP_NOT_EXIST with the nearest group's name.
import { Admin } from "../client/admin.js";
import { withNats } from "./connected.js";
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
}

export async function progressCommand(group: string, values: NatsFlags & { topic?: string; json: boolean }): Promise<void> {
  await withNats(values, async (nc) => {
    const found = await new Admin(nc, { prefix: values.prefix }).consumerProgress(group, values.topic);
    const rows: QueueLag[] = found.map((q) => ({
      topic: q.topic, broker: q.broker, queueId: q.queueId, minOffset: q.minOffset, maxOffset: q.maxOffset, committed: q.offset, lag: q.lag,
      ...(q.owner === undefined ? {} : { owner: q.owner }),
    }));
    const total = rows.reduce((s, r) => s + r.lag, 0);
    if (values.json) {
      console.log(JSON.stringify({ group, ...(values.topic ? { topic: values.topic } : {}), totalLag: total, queues: rows }, null, 2));
      return;
    }
    console.log(`Consumer group ${group}${values.topic ? ` on ${values.topic}` : ""}:`);
    const topics = !values.topic;
    console.log(
      table(
        [...(topics ? ["TOPIC"] : []), "BROKER", "QUEUE", "BROKER OFFSET", "CONSUMER OFFSET", "LAG", "OWNER"],
        rows.map((r) => [...(topics ? [r.topic] : []), r.broker, String(r.queueId), String(r.maxOffset), r.committed < 0 ? "-" : String(r.committed), String(r.lag), r.owner ?? "-"]),
      ),
    );
    console.log(`total lag: ${total}`);
  });
}
