// docs/machines.md and the JSON export, both drawn from the machines' own
// definitions. `make machines-doc` writes the document; a test regenerates
// it in memory and fails when the committed file differs.
import { describe, MACHINES, type MachineEntry } from "./catalog.js";
import { walkMachine, type MachineGraph } from "./graph.js";
import { renderMermaid } from "./mermaid.js";

export type MachineExport = { name: string; source: string; purpose: string; graph: MachineGraph };

export async function exportMachine(entry: MachineEntry): Promise<MachineExport> {
  return { name: entry.name, source: `machines/${entry.name}.ts`, purpose: await describe(entry), graph: walkMachine(entry.machine) };
}

export const exportAll = (entries: readonly MachineEntry[] = MACHINES) => Promise.all(entries.map(exportMachine));

const HEADER = `# Rocketbus's state machines

<!-- Generated from machines/*.ts by \`make machines-doc\` (\`npx rbus machines export --format mermaid > docs/machines.md\`).
     Do not edit: test/machines/diagrams.test.ts fails when this file no longer matches the machines. -->

Every state machine of Rocketbus, drawn from its own XState definition. Regenerate this file with
\`make machines-doc\` after changing a machine; \`rbus machines export --format json\` gives the same graphs as JSON.

How to read the diagrams:
- \`EVENT [guard]\` is a transition on an event, taken when the named guard holds; \`after d\` fires after the
  machine's delay \`d\`; \`always\` is eventless; \`done x\` and \`error x\` follow the invoked actor \`x\`.
- Lines inside a state (or in its note) are transitions that change no state: \`EVENT [guard] / actions\`.
- Mermaid draws no edge into or out of another composite state, so such an edge is drawn to or from the
  composite state, and its label names the real end: \`→ voting\`, \`from voting\`.
- Regions of a parallel state are separated by a dashed line.
`;

export function renderDocument(machines: readonly MachineExport[]): string {
  const sections = machines.map((m) =>
    `## ${m.name}\n\n${m.purpose}\n\nSource: [${m.source}](../${m.source})\n\n\`\`\`mermaid\n${renderMermaid(m.graph)}\`\`\`\n`);
  return `${HEADER}\n${sections.join("\n")}`;
}
