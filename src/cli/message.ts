// rbus message: a message by id (mqadmin queryMsgById), by topic and key
// (queryMsgByKey), or by queue offset — one (queryMsgByOffset) or --count of
// them from there (printMsg). One JSON line per message; nothing found is an error.
import { Admin } from "../client/admin.js";
import { intArg, required, UsageError } from "./args.js";
import { withNats } from "./connected.js";
import type { NatsFlags } from "./options.js";
import { withTopicHint } from "./topic-hint.js";

export interface MessageFlags extends NatsFlags {
  id?: string;
  topic?: string;
  key?: string;
  brokerGroup?: string;
  queue?: string;
  offset?: string;
  count: string;
}

export async function messageCommand(values: MessageFlags): Promise<void> {
  const byQueue = values.queue !== undefined || values.offset !== undefined;
  if (!values.id && !(values.topic && (values.key || byQueue))) {
    throw new UsageError("give --id <msgId>, or --topic <t> with --key <key>, or --topic <t> --broker-group <g> --queue <id> --offset <n>");
  }
  const count = intArg(values.count, "count")!;
  await withNats(values, async (nc) => {
    const admin = new Admin(nc, { prefix: values.prefix });
    if (values.id) return console.log(JSON.stringify(await admin.messageById(values.id)));
    const topic = values.topic!;
    if (byQueue) {
      const group = required(values.brokerGroup, "broker-group");
      const queueId = intArg(required(values.queue, "queue"), "queue")!;
      const offset = intArg(required(values.offset, "offset"), "offset")!;
      if (count <= 1) return console.log(JSON.stringify(await admin.messageByOffset(topic, group, queueId, offset)));
      const got = await admin.queueMessages(topic, group, queueId, offset, count);
      if (got.messages.length === 0) {
        throw new Error(`queue ${queueId} of ${topic} on ${group} holds offsets ${got.minOffset} to ${got.maxOffset - 1}: nothing at ${offset}`);
      }
      for (const m of got.messages) console.log(JSON.stringify(m));
      return;
    }
    const found = await withTopicHint(nc, values.prefix, topic, () => admin.messagesByKey(topic, values.key!));
    // Keys match exactly, as RocketMQ's index does: nothing found is a mistake to report, not an empty success.
    if (found.length === 0) {
      throw new Error(`no message of ${topic} has key "${values.key}" (keys match exactly; send sets them with --key; rbus consume prints each message's keys)`);
    }
    for (const m of found) console.log(JSON.stringify(m));
  });
}
