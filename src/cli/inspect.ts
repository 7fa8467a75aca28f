// rbus inspect: what the state machines of the running nodes do, live.
import { decodeJson, subjects } from "../protocol/index.js";
import type { InspectEvent } from "../runtime/inspect.js";
import { connectNats } from "../runtime/nats.js";
import { natsOption, parse, prefixOption, untilSignal } from "./args.js";

const usage = "rbus inspect [--node <id>] [--json]";

export async function inspectCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { ...natsOption, ...prefixOption, node: { type: "string" }, json: { type: "boolean", default: false } }, usage);
  const subj = subjects(values.prefix);
  const nc = await connectNats(values.nats, "rbus-inspect");
  const subject = values.node ? subj.inspect(values.node) : subj.inspectAll;
  nc.subscribe(subject, {
    callback: (_, m) => {
      const e = decodeJson(m.data) as InspectEvent;
      if (values.json) return console.log(JSON.stringify(e));
      const time = new Date(e.at).toISOString().slice(11, 23);
      console.log(`${time}  ${e.node.padEnd(12)} ${e.actor.padEnd(24)} ${JSON.stringify(e.state).padEnd(28)} ${e.status === "active" ? "" : e.status + " "}on ${e.event}`);
    },
  });
  console.error(`watching ${subject}; Ctrl-C to stop`);
  untilSignal(() => nc.close());
}
