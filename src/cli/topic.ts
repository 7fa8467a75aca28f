import { Admin } from "../client/admin.js";
import { Perm } from "../protocol/index.js";
import { intArg, natsOption, parse, prefixOption, required, UsageError } from "./args.js";
import { withNats } from "./connected.js";
import { table } from "./table.js";

const usage = "rbus topic create --topic <t> [--queues <n>] [--perm rw|r|w|none] [--group <g>]... | rbus topic list [--json]";

export async function topicCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      ...natsOption,
      ...prefixOption,
      topic: { type: "string" },
      queues: { type: "string" },
      perm: { type: "string", default: "rw" },
      group: { type: "string", multiple: true },
      json: { type: "boolean", default: false },
    },
    usage,
  );
  const action = positionals[0];
  await withNats(values, async (nc) => {
    const admin = new Admin(nc, { prefix: values.prefix });
    if (action === "create") {
      const perm = values.perm as Perm;
      if (!Object.values(Perm).includes(perm)) throw new UsageError(`--perm must be rw, r, w or none\nusage: ${usage}`);
      const created = await admin.createTopic({
        topic: required(values.topic, "topic", usage),
        queues: intArg(values.queues, "queues") ?? 4,
        perm,
        ...(values.group ? { groups: values.group } : {}),
      });
      console.log(JSON.stringify(created));
    } else if (action === "list") {
      const topics = await admin.listTopics();
      if (values.json) console.log(JSON.stringify(topics, null, 2));
      else console.log(table(["TOPIC", "GROUP", "READ", "WRITE", "PERM"], topics.map((t) => [t.topic, t.group, `${t.readQueues}`, `${t.writeQueues}`, t.perm])));
    } else {
      throw new UsageError(`usage: ${usage}`);
    }
  });
}
