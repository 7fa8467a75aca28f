// rbus machines export: every state machine, drawn from its definition.
import { MACHINES } from "../machines-doc/catalog.js";
import { exportAll, renderDocument } from "../machines-doc/document.js";
import { renderMermaid } from "../machines-doc/mermaid.js";
import { UsageError } from "./args.js";
import { hint } from "./nearest.js";

export async function machinesExportCommand(values: { format: string; machine?: string }): Promise<void> {
  if (values.format !== "mermaid" && values.format !== "json") throw new UsageError(`--format must be mermaid or json, got "${values.format}"`);
  const entries = values.machine === undefined ? MACHINES : MACHINES.filter((m) => m.name === values.machine);
  if (entries.length === 0) throw new UsageError(`no machine "${values.machine}"${hint(values.machine!, MACHINES.map((m) => m.name), "machines")}`);
  const machines = await exportAll(entries);
  if (values.format === "json") return void process.stdout.write(`${JSON.stringify({ machines }, null, 2)}\n`);
  process.stdout.write(values.machine === undefined ? renderDocument(machines) : renderMermaid(machines[0]!.graph));
}
