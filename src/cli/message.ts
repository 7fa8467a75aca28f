import { Admin } from "../client/admin.js";
import { UsageError } from "./args.js";
import { withNats } from "./connected.js";
import type { NatsFlags } from "./options.js";
import { withTopicHint } from "./topic-hint.js";

export async function messageCommand(values: NatsFlags & { id?: string; topic?: string; key?: string }): Promise<void> {
  if (!values.id && !(values.topic && values.key)) throw new UsageError("give --id <msgId>, or --topic <t> and --key <key>");
  await withNats(values, async (nc) => {
    const admin = new Admin(nc, { prefix: values.prefix });
    if (values.id) return console.log(JSON.stringify(await admin.messageById(values.id)));
    const found = await withTopicHint(nc, values.prefix, values.topic!, () => admin.messagesByKey(values.topic!, values.key!));
    // Keys match exactly, as RocketMQ's index does: nothing found is a mistake to report, not an empty success.
    if (found.length === 0) {
      throw new Error(`no message of ${values.topic} has key "${values.key}" (keys match exactly; send sets them with --key; rbus consume prints each message's keys)`);
    }
    for (const m of found) console.log(JSON.stringify(m));
  });
}
