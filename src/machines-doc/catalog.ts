// Every state machine of the project, by the name of its file in machines/,
// with what it is for: the opening of that file's header comment, read from
// the compiled module beside this one (tsc keeps leading comments), so the
// words stay the machine file's own.
import { readFile } from "node:fs/promises";
import type { AnyStateMachine } from "xstate";
import { livenessMachine } from "../../machines/liveness.js";
import { nameServerMachine } from "../../machines/nameserver.js";
import { registrationMachine } from "../../machines/broker-registration.js";
import { rebalanceMachine } from "../../machines/rebalance.js";
import { roleMachine } from "../../machines/role.js";

export type MachineEntry = { name: string; machine: AnyStateMachine };

/** In the order a cluster starts them: NameServer and its liveness actors, broker replicas, consumers. */
export const MACHINES: readonly MachineEntry[] = [
  { name: "nameserver", machine: nameServerMachine },
  { name: "liveness", machine: livenessMachine },
  { name: "broker-registration", machine: registrationMachine },
  { name: "role", machine: roleMachine },
  { name: "rebalance", machine: rebalanceMachine },
];

/** The leading `//` comment of a module's text, as one paragraph per blank comment line. */
export function headerComment(source: string): string[] {
  const lines: string[] = [];
  for (const line of source.split("\n")) {
    const m = /^\s*\/\/ ?(.*)$/.exec(line);
    if (!m) break;
    lines.push(m[1]!.trim());
  }
  return lines.join("\n").split(/\n\s*\n/).map((p) => p.replace(/\s*\n\s*/g, " ").trim()).filter(Boolean);
}

/**
 * The first sentence of the header, and the second as well when the first
 * is only a title ("A NameServer's broker table.").
 */
export function purpose(source: string): string {
  let rest = headerComment(source)[0] ?? "";
  const sentences: string[] = [];
  while (rest) {
    const end = /[.!?](?=\s|$)/.exec(rest);
    const cut = end ? end.index + 1 : rest.length;
    sentences.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  const [first = "", second] = sentences;
  return first.length < 40 && second ? `${first} ${second}` : first;
}

export async function describe(entry: MachineEntry): Promise<string> {
  const url = new URL(`../../machines/${entry.name}.js`, import.meta.url);
  return purpose(await readFile(url, "utf8"));
}
