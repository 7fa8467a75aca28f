// rbus topic status | update | delete (mqadmin topicStatus, updateTopic,
// deleteTopic) over the Admin's calls to every master serving the topic.
import { Admin } from "../client/admin.js";
import { Perm } from "../protocol/index.js";
import { intArg, required, UsageError } from "./args.js";
import { withNats } from "./connected.js";
import type { NatsFlags } from "./options.js";
import { table } from "./table.js";

const when = (ms: number) => (ms === 0 ? "-" : new Date(ms).toISOString());

export async function topicStatusCommand(topic: string, values: NatsFlags & { json: boolean }): Promise<void> {
  await withNats(values, async (nc) => {
    const status = await new Admin(nc, { prefix: values.prefix }).topicStatus(topic);
    if (values.json) return console.log(JSON.stringify(status, null, 2));
    const rows = status.flatMap((s) => s.queues.map((q) => [s.group, String(q.queueId), String(q.minOffset), String(q.maxOffset), when(q.lastUpdated)]));
    console.log(table(["BROKER", "QUEUE", "MIN OFFSET", "MAX OFFSET", "LAST UPDATED"], rows));
  });
}

export interface UpdateFlags extends NatsFlags {
  topic?: string;
  queues?: string;
  readQueues?: string;
  writeQueues?: string;
  perm?: string;
  brokerGroups?: string[];
  json: boolean;
}

export async function topicUpdateCommand(values: UpdateFlags): Promise<void> {
  const topic = required(values.topic, "topic");
  const counts = { queues: intArg(values.queues, "queues"), readQueues: intArg(values.readQueues, "read-queues"), writeQueues: intArg(values.writeQueues, "write-queues") };
  for (const [name, n] of Object.entries(counts)) {
    if (n === 0) throw new UsageError(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be at least 1 (a topic without queues cannot take a message)`);
  }
  if (values.perm !== undefined && !Object.values(Perm).includes(values.perm as Perm)) throw new UsageError(`--perm must be rw, r, w or none, got "${values.perm}"`);
  if (Object.values(counts).every((n) => n === undefined) && values.perm === undefined) throw new UsageError("nothing to change: give --queues, --read-queues, --write-queues or --perm");
  await withNats(values, async (nc) => {
    const done = await new Admin(nc, { prefix: values.prefix }).updateTopic({
      topic,
      ...Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== undefined)),
      ...(values.perm === undefined ? {} : { perm: values.perm as Perm }),
      ...(values.brokerGroups ? { groups: values.brokerGroups } : {}),
    });
    if (values.json) return console.log(JSON.stringify(done, null, 2));
    console.log(table(["TOPIC", "GROUP", "READ", "WRITE", "PERM"], done.map((t) => [t.topic, t.group, `${t.readQueues}`, `${t.writeQueues}`, t.perm])));
  });
}

export async function topicDeleteCommand(values: NatsFlags & { topic?: string; brokerGroups?: string[]; json: boolean }): Promise<void> {
  const topic = required(values.topic, "topic");
  await withNats(values, async (nc) => {
    const done = await new Admin(nc, { prefix: values.prefix }).deleteTopic(topic, values.brokerGroups ? { groups: values.brokerGroups } : {});
    if (values.json) return console.log(JSON.stringify(done, null, 2));
    console.log(table(["TOPIC", "GROUP", "DELETED", "QUEUES", "OFFSETS"], done.map((d) => [d.topic, d.group, d.deleted ? "yes" : "no", `${d.queues}`, `${d.offsets}`])));
  });
}
