// rbus dlq list|show --group <g>: a consumer group's dead letters, the
// messages that used up their retries (docs/retries.md). list: per broker
// group, how many there are, how many are not resent yet, the oldest and
// the newest; show: each message with its origin and attempts.
import { dlqTopic } from "../protocol/index.js";
import { withNats } from "./connected.js";
import { dlqMessages, dlqQueues } from "./dlq-read.js";
import type { NatsFlags } from "./options.js";
import { table } from "./table.js";

const time = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : "-");

export async function dlqListCommand(values: NatsFlags & { group: string; json: boolean }): Promise<void> {
  await withNats(values, async (nc) => {
    const rows = [];
    for (const q of await dlqQueues(nc, values.prefix, values.group)) {
      const [oldest] = await dlqMessages(nc, values.prefix, values.group, q, q.minOffset, 1);
      const [newest] = await dlqMessages(nc, values.prefix, values.group, q, q.maxOffset - 1, 1);
      rows.push({
        broker: q.broker, count: q.maxOffset - q.minOffset, notResent: q.maxOffset - q.resentTo,
        oldest: oldest?.storedAt ?? 0, newest: newest?.storedAt ?? 0, minOffset: q.minOffset, maxOffset: q.maxOffset, resentTo: q.resentTo,
      });
    }
    if (values.json) {
      console.log(JSON.stringify({ group: values.group, topic: dlqTopic(values.group), brokers: rows }, null, 2));
      return;
    }
    if (rows.length === 0) {
      console.log(`Consumer group ${values.group} has no dead letters (${dlqTopic(values.group)} exists on no broker).`);
      return;
    }
    console.log(`Dead letters of ${values.group} (${dlqTopic(values.group)}):`);
    console.log(table(["BROKER", "COUNT", "NOT RESENT", "OLDEST", "NEWEST"], rows.map((r) => [r.broker, String(r.count), String(r.notResent), time(r.oldest), time(r.newest)])));
  });
}

export async function dlqShowCommand(values: NatsFlags & { group: string; json: boolean; all?: boolean; count: string }): Promise<void> {
  const max = Number(values.count);
  await withNats(values, async (nc) => {
    const shown = [];
    for (const q of await dlqQueues(nc, values.prefix, values.group)) {
      shown.push(...(await dlqMessages(nc, values.prefix, values.group, q, values.all ? q.minOffset : q.resentTo, max)));
    }
    if (values.json) {
      for (const m of shown) console.log(JSON.stringify({ ...m, message: undefined, body: m.message.body, bodyEncoding: m.message.bodyEncoding }));
      return;
    }
    if (shown.length === 0) {
      console.log(`No dead letters of ${values.group} ${values.all ? "" : "waiting to be resent "}on any broker.`);
      return;
    }
    console.log(table(
      ["BROKER", "OFFSET", "DLQ MSG ID", "ORIGIN TOPIC", "ORIGIN MSG ID", "ATTEMPTS", "STORED", "RESENT"],
      shown.map((m) => [m.broker, String(m.queueOffset), m.msgId, m.originTopic, m.originMsgId, String(m.attempts), time(m.storedAt), m.resent ? "yes" : "no"]),
    ));
  });
}
