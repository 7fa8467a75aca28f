// rbus inspect: what the state machines of the running nodes do, live. It
// starts with every server node's machines as they are now (rbus.machines.
// <node>), then prints each change. Clients repeat their actors' current
// state every few seconds for readers that start late (`refresh`); those
// repeats are left out unless asked. `--stately` instead runs the relay
// Stately's inspector page reads, for processes started with RBUS_INSPECT=stately.
import type { NatsConnection } from "@nats-io/transport-node";
import { createInspectorServer } from "@statelyai/inspect/server";
import { subjects } from "../protocol/index.js";
import { isInspectEvent, type InspectEvent, type MachinesNow } from "../runtime/inspect.js";
import { clientLogger } from "../runtime/log.js";
import { requestJson } from "../runtime/request.js";
import { subscribeJson } from "../runtime/subscribe.js";
import { connectFromFlags, intArg, untilSignal } from "./args.js";
import { inspectLine } from "./inspect-line.js";
import { knownNodes, resolveNode } from "./inspect-nodes.js";
import type { NatsFlags } from "./options.js";

export interface InspectFlags extends NatsFlags {
  node?: string;
  json: boolean;
  refresh: boolean;
  verbose: boolean;
  stately: boolean;
  port: string;
}

export async function inspectCommand(values: InspectFlags): Promise<void> {
  if (values.stately) return statelyRelay(intArg(values.port, "port")!);
  const subj = subjects(values.prefix);
  const nc = await connectFromFlags(values, "rbus-inspect");
  try {
    const known = await knownNodes(nc, values.prefix);
    const node = values.node === undefined ? undefined : resolveNode(values.node, known);
    const print = (e: InspectEvent, snapshot = false) => {
      if (values.json) return console.log(JSON.stringify(snapshot ? { ...e, snapshot: true } : e));
      console.log(inspectLine(e, values.verbose, snapshot ? " [now]" : ""));
    };
    // Changes that come while the snapshot is asked for wait behind it, so that the newest line is the newest state.
    let held: InspectEvent[] | undefined = [];
    const subject = node === undefined ? subj.inspectAll : subj.inspect(node);
    subscribeJson<InspectEvent>(
      nc,
      subject,
      (e) => {
        if (e.refresh && !values.refresh) return;
        if (held) held.push(e);
        else print(e);
      },
      { log: clientLogger({ command: "inspect" }), decode: isInspectEvent, loud: true },
    );
    const servers = node === undefined ? known.servers : known.servers.filter((s) => s === node);
    for (const e of await snapshot(nc, values.prefix, servers)) print(e, true);
    for (const e of held) print(e);
    held = undefined;
    console.error(`watching ${subject}${values.refresh ? " (with clients' refreshes)" : ""}; Ctrl-C to stop`);
  } catch (err) {
    await nc.close();
    throw err;
  }
  untilSignal(() => nc.close());
}

/** Every actor of the given server nodes as it is now; a node that does not answer is left out. */
async function snapshot(nc: NatsConnection, prefix: string, nodes: string[]): Promise<InspectEvent[]> {
  const subj = subjects(prefix);
  const answers = await Promise.all(nodes.map((n) => requestJson<MachinesNow>(nc, subj.machines(n), {}, 2000).catch(() => undefined)));
  return answers.flatMap((a) => a?.actors ?? []);
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
