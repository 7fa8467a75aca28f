// rbus machines export: every state machine, drawn from its definition.
import { MACHINES } from "../machines-doc/catalog.js";
import { exportAll, renderDocument } from "../machines-doc/document.js";
import { renderMermaid } from "../machines-doc/mermaid.js";
import { parse, UsageError } from "./args.js";

const usage = `rbus machines export [--format mermaid|json] [--machine <name>]
  mermaid (default): docs/machines.md's Markdown, or with --machine that machine's stateDiagram-v2 alone
  json: { machines: [{ name, source, purpose, graph }] }
  machines: ${MACHINES.map((m) => m.name).join(", ")}`;

export async function machinesCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { format: { type: "string", default: "mermaid" }, machine: { type: "string" } }, usage);
  if (positionals[0] !== "export" || positionals.length > 1) throw new UsageError(`usage: ${usage}`);
  if (values.format !== "mermaid" && values.format !== "json") throw new UsageError(`--format must be mermaid or json, got "${values.format}"\nusage: ${usage}`);
  const entries = values.machine === undefined ? MACHINES : MACHINES.filter((m) => m.name === values.machine);
  if (entries.length === 0) throw new UsageError(`no machine "${values.machine}"; machines: ${MACHINES.map((m) => m.name).join(", ")}`);
  const machines = await exportAll(entries);
  if (values.format === "json") return void process.stdout.write(`${JSON.stringify({ machines }, null, 2)}\n`);
  process.stdout.write(values.machine === undefined ? renderDocument(machines) : renderMermaid(machines[0]!.graph));
}
