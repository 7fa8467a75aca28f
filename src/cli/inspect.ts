// rbus inspect: what the state machines of the running nodes do, live.
import { subjects } from "../protocol/index.js";
import { isInspectEvent, type InspectEvent } from "../runtime/inspect.js";
import { clientLogger } from "../runtime/log.js";
import { subscribeJson } from "../runtime/subscribe.js";
import { connectFromFlags, natsOption, parse, prefixOption, untilSignal } from "./args.js";

const usage = "rbus inspect [--node <id>] [--json]";

export async function inspectCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { ...natsOption, ...prefixOption, node: { type: "string" }, json: { type: "boolean", default: false } }, usage);
  const subj = subjects(values.prefix);
  const nc = await connectFromFlags(values, "rbus-inspect");
  const subject = values.node ? subj.inspect(values.node) : subj.inspectAll;
  subscribeJson<InspectEvent>(
    nc,
    subject,
    (e) => {
      if (values.json) return console.log(JSON.stringify(e));
      const time = new Date(e.at).toISOString().slice(11, 23);
      const context = e.context ? ` (${Object.entries(e.context).map(([k, v]) => `${k} ${String(v)}`).join(", ")})` : "";
      console.log(`${time}  ${e.node.padEnd(12)} ${e.actor.padEnd(24)} ${JSON.stringify(e.state).padEnd(28)} ${e.status === "active" ? "" : e.status + " "}on ${e.event}${context}`);
    },
    { log: clientLogger({ command: "inspect" }), decode: isInspectEvent, loud: true },
  );
  console.error(`watching ${subject}; Ctrl-C to stop`);
  untilSignal(() => nc.close());
}
