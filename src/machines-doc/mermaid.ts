// A machine graph as a Mermaid `stateDiagram-v2`, which GitHub renders.
//
// Mermaid cannot draw an edge between states of different composite
// states, nor from a composite state to its own child. So each edge is
// drawn between the two children of the innermost state holding both ends
// (the ends "lifted"), declared in that state's block, and its label names
// the real end (`→ voting`, `from voting`). A transition of the machine's
// root is drawn from every top-level state it can leave. Transitions that
// change no state are written inside their state (a note for a composite
// state or for the root).
import type { MachineGraph, StateGraph, TransitionGraph } from "./graph.js";

const mermaidId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, "_");
const isComposite = (s: StateGraph) => s.states.length > 0;

function label(t: TransitionGraph): string {
  const what = t.kind === "event" ? t.event
    : t.kind === "after" ? `after ${/^\d+$/.test(t.event) ? `${t.event}ms` : t.event}`
    : t.kind === "always" ? "always"
    : `${t.kind} ${t.event}`;
  return t.guard ? `${what} [${t.guard}]` : what;
}

const withActions = (t: TransitionGraph) => (t.actions.length ? `${label(t)} / ${t.actions.join(", ")}` : label(t));

/** Mermaid reads `;` as a statement end and `#` as an entity; neither belongs in a label. */
const clean = (text: string) => text.replace(/[;#]/g, " ");

const parentOf = (id: string) => (id.includes(".") ? id.slice(0, id.lastIndexOf(".")) : "");

type Edge = { block: string; from: string; to: string; text: string };

/** The chain of state ids from the root to `id`: "a.b" → ["", "a", "a.b"]. */
const chain = (id: string) => (id === "" ? [""] : ["", ...id.split(".").map((_, i, parts) => parts.slice(0, i + 1).join("."))]);

function edge(from: string, to: string, t: TransitionGraph): Edge {
  const a = chain(from);
  const b = chain(to);
  let depth = 0;
  while (depth < a.length && depth < b.length && a[depth] === b[depth]) depth++;
  const block = a[depth - 1]!;
  // One end inside the other (a composite state's transition to its own child, or a plain self-loop): a loop on the outer one.
  const nested = depth === a.length || depth === b.length;
  const drawnFrom = nested ? block : a[depth]!;
  const drawnTo = nested ? block : b[depth]!;
  const notes: string[] = [];
  if (drawnFrom !== from) notes.push(`from ${from.slice(drawnFrom.length + 1)}`);
  if (drawnTo !== to) notes.push(`→ ${to.slice(drawnTo.length + 1)}`);
  const text = clean([label(t), ...notes].join(" "));
  return { block: nested ? parentOf(block) : block, from: drawnFrom, to: drawnTo, text };
}


/** A root transition leaves every top-level state that does not answer the same event itself. */
function rootSources(root: StateGraph, t: TransitionGraph): string[] {
  const answers = (s: StateGraph) => t.kind === "event" && s.transitions.some((own) => own.kind === "event" && own.event === t.event && !own.guard);
  return root.states.filter((s) => s.type !== "final" && !answers(s)).map((s) => s.id);
}

/** Every drawn edge, those between the same two states merged into one, one label a line. */
function collectEdges(graph: MachineGraph): string[][] {
  const merged = new Map<string, Edge>();
  const visit = (s: StateGraph) => {
    for (const t of s.transitions) {
      for (const target of t.targets) {
        for (const from of s.id === "" ? rootSources(s, t) : [s.id]) {
          const e = edge(from, target, t);
          const key = `${e.block} ${e.from} ${e.to}`;
          const known = merged.get(key);
          if (known) known.text += `<br/>${e.text}`;
          else merged.set(key, e);
        }
      }
    }
    s.states.forEach(visit);
  };
  visit(graph.root);
  return [...merged.values()].map((e) => [e.block, `${mermaidId(e.from)} --> ${mermaidId(e.to)} : ${e.text}`]);
}

function renderState(s: StateGraph, edges: string[][], indent: string, out: string[]): void {
  const id = mermaidId(s.id);
  const internal = s.transitions.filter((t) => t.targets.length === 0).map((t) => clean(withActions(t)));
  if (!isComposite(s)) {
    out.push(id === s.key ? `${indent}${id}` : `${indent}state "${s.key}" as ${id}`);
    for (const line of internal) out.push(`${indent}${id} : ${line}`);
  } else {
    out.push(`${indent}state "${s.key}" as ${id} {`);
    renderChildren(s, edges, `${indent}  `, out);
    out.push(`${indent}}`);
    if (internal.length) out.push(`${indent}note right of ${id}`, ...internal.map((l) => `${indent}  ${l}`), `${indent}end note`);
  }
  if (s.type === "final") out.push(`${indent}${id} --> [*]`);
}

function renderChildren(s: StateGraph, edges: string[][], indent: string, out: string[]): void {
  if (s.initial) out.push(`${indent}[*] --> ${mermaidId(s.initial)}`);
  s.states.forEach((child, i) => {
    if (s.type === "parallel" && i > 0) out.push(`${indent}--`);
    renderState(child, edges, indent, out);
  });
  for (const [block, line] of edges) if (block === s.id) out.push(`${indent}${line}`);
}

export function renderMermaid(graph: MachineGraph): string {
  const out = ["stateDiagram-v2"];
  renderChildren(graph.root, collectEdges(graph), "  ", out);
  const everywhere = graph.root.transitions.filter((t) => t.targets.length === 0).map((t) => clean(withActions(t)));
  if (everywhere.length && graph.root.initial) {
    out.push(`  note left of ${mermaidId(graph.root.initial)}`, "    in every state:", ...everywhere.map((l) => `    ${l}`), "  end note");
  }
  return `${out.join("\n")}\n`;
}
