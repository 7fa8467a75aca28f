// rbus topic create | list.
import { Admin } from "../client/admin.js";
import { Perm } from "../protocol/index.js";
import { intArg, required, UsageError } from "./args.js";
import { withNats } from "./connected.js";
import type { NatsFlags } from "./options.js";
import { table } from "./table.js";

export interface CreateFlags extends NatsFlags {
  topic?: string;
  queues: string;
  perm: string;
  brokerGroups?: string[];
}

export async function topicCreateCommand(values: CreateFlags): Promise<void> {
  const topic = required(values.topic, "topic");
  const perm = values.perm as Perm;
  if (!Object.values(Perm).includes(perm)) throw new UsageError(`--perm must be rw, r, w or none, got "${values.perm}"`);
  const queues = intArg(values.queues, "queues")!;
  // A topic of no queues routes nowhere: every send to it would fail with NO_RESPONDERS.
  if (queues < 1) throw new UsageError(`--queues must be at least 1 (a topic without queues cannot take a message), got ${queues}`);
  await withNats(values, async (nc) => {
    const created = await new Admin(nc, { prefix: values.prefix }).createTopic({
      topic,
      queues,
      perm,
      ...(values.brokerGroups ? { groups: values.brokerGroups } : {}),
    });
    console.log(JSON.stringify(created));
  });
}

export async function topicListCommand(values: NatsFlags & { json: boolean }): Promise<void> {
  await withNats(values, async (nc) => {
    const topics = await new Admin(nc, { prefix: values.prefix }).listTopics();
    if (values.json) console.log(JSON.stringify(topics, null, 2));
    else console.log(table(["TOPIC", "GROUP", "READ", "WRITE", "PERM"], topics.map((t) => [t.topic, t.group, `${t.readQueues}`, `${t.writeQueues}`, t.perm])));
  });
}
