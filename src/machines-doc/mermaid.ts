// A machine graph as a Mermaid `stateDiagram-v2`, which GitHub renders.
//
// Mermaid draws no edge between states of different composite states, nor
// from a composite state to its own child, and it puts a state in the last
// composite block that mentions it. So each edge is drawn between the two
// children of the innermost state holding both ends (the ends "lifted"),
// declared in that state's block, and its label names the real end
// (`→ voting`, `from voting`). A transition of the machine's root is drawn
// from every top-level state it can leave. Transitions that change no
// state are written inside their state (a note for a composite state or
// for the root). A composite state is declared by its id alone, as a
// labelled one (`state "x" as y {`) is drawn wrongly by some Mermaid
// versions; so ids are the states' own names wherever those are unique.
import type { MachineGraph, StateGraph, TransitionGraph } from "./graph.js";

type Names = Map<string, string>;
/** Edges by the id of the state whose block declares them. */
type Edges = Map<string, Map<string, string>>;

const isComposite = (s: StateGraph) => s.states.length > 0;
const parentOf = (id: string) => (id.includes(".") ? id.slice(0, id.lastIndexOf(".")) : "");
/** Mermaid reads `;` as a statement end and `#` as an entity; neither belongs in a label. */
const clean = (text: string) => text.replace(/[;#]/g, " ");

/** Each state's Mermaid id: its key where no other state has it, else its path joined by "_". */
function namesOf(root: StateGraph): Names {
  const all: StateGraph[] = [];
  const collect = (s: StateGraph): void => void (all.push(s), s.states.forEach(collect));
  root.states.forEach(collect);
  const count = new Map<string, number>();
  for (const s of all) count.set(s.key, (count.get(s.key) ?? 0) + 1);
  const safe = (text: string) => text.replace(/[^A-Za-z0-9_]/g, "_");
  return new Map(all.map((s) => [s.id, safe(count.get(s.key) === 1 ? s.key : s.id)]));
}

function label(t: TransitionGraph): string {
  const what = t.kind === "event" ? t.event
    : t.kind === "after" ? `after ${/^\d+$/.test(t.event) ? `${t.event}ms` : t.event}`
    : t.kind === "always" ? "always"
    : `${t.kind} ${t.event}`;
  return t.guard ? `${what} [${t.guard}]` : what;
}

const withActions = (t: TransitionGraph) => clean(t.actions.length ? `${label(t)} / ${t.actions.join(", ")}` : label(t));

/** The chain of state ids from the root to `id`: "a.b" → ["", "a", "a.b"]. */
const chain = (id: string) => ["", ...id.split(".").map((_, i, parts) => parts.slice(0, i + 1).join("."))];

function addEdge(edges: Edges, names: Names, from: string, to: string, t: TransitionGraph): void {
  const a = chain(from);
  const b = chain(to);
  let depth = 0;
  while (depth < a.length && depth < b.length && a[depth] === b[depth]) depth++;
  const holder = a[depth - 1]!;
  // One end inside the other (a composite state's transition to its own child, or a self-loop): a loop on the outer one.
  const nested = depth === a.length || depth === b.length;
  const drawnFrom = nested ? holder : a[depth]!;
  const drawnTo = nested ? holder : b[depth]!;
  const notes: string[] = [];
  if (drawnFrom !== from) notes.push(`from ${from.slice(drawnFrom.length + 1)}`);
  if (drawnTo !== to) notes.push(`→ ${to.slice(drawnTo.length + 1)}`);
  const text = clean([label(t), ...notes].join(" "));
  const block = nested ? parentOf(holder) : holder;
  const arrow = `${names.get(drawnFrom)} --> ${names.get(drawnTo)}`;
  const inBlock = edges.get(block) ?? new Map<string, string>();
  edges.set(block, inBlock);
  // Edges between the same two states become one, a label a line.
  const known = inBlock.get(arrow);
  inBlock.set(arrow, known ? `${known}<br/>${text}` : text);
}

/** A root transition leaves every top-level state that does not answer the same event itself. */
function rootSources(root: StateGraph, t: TransitionGraph): string[] {
  const answers = (s: StateGraph) => t.kind === "event" && s.transitions.some((own) => own.kind === "event" && own.event === t.event && !own.guard);
  return root.states.filter((s) => s.type !== "final" && !answers(s)).map((s) => s.id);
}

function collectEdges(root: StateGraph, names: Names): Edges {
  const edges: Edges = new Map();
  const visit = (s: StateGraph) => {
    for (const t of s.transitions) {
      for (const target of t.targets) for (const from of s.id === "" ? rootSources(s, t) : [s.id]) addEdge(edges, names, from, target, t);
    }
    s.states.forEach(visit);
  };
  visit(root);
  return edges;
}

type Draw = { names: Names; edges: Edges; out: string[] };

function renderState(s: StateGraph, d: Draw, indent: string): void {
  const id = d.names.get(s.id)!;
  const internal = s.transitions.filter((t) => t.targets.length === 0).map(withActions);
  if (!isComposite(s)) {
    d.out.push(id === s.key ? `${indent}${id}` : `${indent}state "${s.key}" as ${id}`);
    for (const line of internal) d.out.push(`${indent}${id} : ${line}`);
  } else {
    d.out.push(`${indent}state ${id} {`);
    renderChildren(s, d, `${indent}  `);
    d.out.push(`${indent}}`);
    if (internal.length) d.out.push(`${indent}note right of ${id}`, ...internal.map((l) => `${indent}  ${l}`), `${indent}end note`);
  }
  if (s.type === "final") d.out.push(`${indent}${id} --> [*]`);
}

function renderChildren(s: StateGraph, d: Draw, indent: string): void {
  if (s.initial) d.out.push(`${indent}[*] --> ${d.names.get(s.initial)}`);
  s.states.forEach((child, i) => {
    if (s.type === "parallel" && i > 0) d.out.push(`${indent}--`);
    renderState(child, d, indent);
  });
  for (const [arrow, text] of d.edges.get(s.id) ?? []) d.out.push(`${indent}${arrow} : ${text}`);
}

export function renderMermaid(graph: MachineGraph): string {
  const names = namesOf(graph.root);
  const d: Draw = { names, edges: collectEdges(graph.root, names), out: ["stateDiagram-v2"] };
  renderChildren(graph.root, d, "  ");
  const everywhere = graph.root.transitions.filter((t) => t.targets.length === 0).map(withActions);
  if (everywhere.length && graph.root.initial) {
    d.out.push(`  note left of ${names.get(graph.root.initial)}`, "    in every state:", ...everywhere.map((l) => `    ${l}`), "  end note");
  }
  return `${d.out.join("\n")}\n`;
}
