import { Admin } from "../client/admin.js";
import { natsOption, parse, prefixOption, UsageError } from "./args.js";
import { withNats } from "./connected.js";

const usage = "rbus message --id <msgId> | rbus message --topic <t> --key <key>";

export async function messageCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { ...natsOption, ...prefixOption, id: { type: "string" }, topic: { type: "string" }, key: { type: "string" } }, usage);
  await withNats(values, async (nc) => {
    const admin = new Admin(nc, { prefix: values.prefix });
    if (values.id) return console.log(JSON.stringify(await admin.messageById(values.id)));
    if (!values.topic || !values.key) throw new UsageError(`usage: ${usage}`);
    for (const m of await admin.messagesByKey(values.topic, values.key)) console.log(JSON.stringify(m));
  });
}
