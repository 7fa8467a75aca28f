// rbus inspect: what the state machines of the running nodes do, live.
// Clients repeat their actors' current state every few seconds for readers
// that start late (`refresh`); those repeats are left out unless asked.
// `--stately` instead runs the relay Stately's inspector page reads, for
// processes started with RBUS_INSPECT=stately.
import { createInspectorServer } from "@statelyai/inspect/server";
import { subjects } from "../protocol/index.js";
import { isInspectEvent, type InspectEvent } from "../runtime/inspect.js";
import { clientLogger } from "../runtime/log.js";
import { subscribeJson } from "../runtime/subscribe.js";
import { connectFromFlags, natsOption, parse, prefixOption, untilSignal } from "./args.js";

const usage = "rbus inspect [--node <id>] [--json] [--refresh] | rbus inspect --stately [--port 8080]";

export async function inspectCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    ...natsOption,
    ...prefixOption,
    node: { type: "string" },
    json: { type: "boolean", default: false },
    refresh: { type: "boolean", default: false },
    stately: { type: "boolean", default: false },
    port: { type: "string", default: "8080" },
  }, usage);
  if (values.stately) return statelyRelay(Number(values.port));
  const subj = subjects(values.prefix);
  const nc = await connectFromFlags(values, "rbus-inspect");
  const subject = values.node ? subj.inspect(values.node) : subj.inspectAll;
  subscribeJson<InspectEvent>(
    nc,
    subject,
    (e) => {
      if (e.refresh && !values.refresh) return;
      if (values.json) return console.log(JSON.stringify(e));
      const time = new Date(e.at).toISOString().slice(11, 23);
      const context = e.context ? ` (${Object.entries(e.context).map(([k, v]) => `${k} ${String(v)}`).join(", ")})` : "";
      const refresh = e.refresh ? " [refresh]" : "";
      console.log(`${time}  ${e.node.padEnd(12)} ${e.actor.padEnd(24)} ${JSON.stringify(e.state).padEnd(28)} ${e.status === "active" ? "" : e.status + " "}on ${e.event}${context}${refresh}`);
    },
    { log: clientLogger({ command: "inspect" }), decode: isInspectEvent, loud: true },
  );
  console.error(`watching ${subject}${values.refresh ? " (with clients' refreshes)" : ""}; Ctrl-C to stop`);
  untilSignal(() => nc.close());
}

/** Stately's relay: processes under RBUS_INSPECT=stately send to it, the page it serves shows them. */
function statelyRelay(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port ${port}: not a TCP port`);
  const relay = createInspectorServer({ port, autoOpen: false });
  console.error(
    `Stately inspector relay on ws://localhost:${port}: start nodes with RBUS_INSPECT=stately` +
      `${port === 8080 ? "" : ` RBUS_INSPECT_URL=ws://localhost:${port}`} and open http://localhost:${port} ` +
      `(the page embeds https://stately.ai/inspect); Ctrl-C to stop`,
  );
  untilSignal(async () => relay.stop());
}
