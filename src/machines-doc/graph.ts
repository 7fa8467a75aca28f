// A machine's definition as a plain graph: what XState v5 keeps on the
// machine's state nodes (machine.root and its children), read without
// running the machine, in the order the machine's source declares it.
// Diagrams and the JSON export are drawn from this, so they cannot drift
// from the machine.
import type { AnyStateMachine, AnyStateNode } from "xstate";

/** How a transition is taken: an event, a delay, eventlessly, or when an invoked actor ends. */
export type TransitionKind = "event" | "after" | "always" | "done" | "error";

export type TransitionGraph = {
  kind: TransitionKind;
  /** The event name (`TICK`), the delay (`heartbeatInterval`, or ms), or the invoked actor's name for done/error. */
  event: string;
  guard?: string;
  /** State ids (paths from the root, joined by "."); empty when the transition changes no state. */
  targets: string[];
  reenter: boolean;
  actions: string[];
};

export type StateGraph = {
  /** Path from the root joined by "."; the root's id is "". */
  id: string;
  key: string;
  type: "atomic" | "compound" | "parallel" | "final" | "history";
  /** Id of the initial child, for compound states. */
  initial?: string;
  entry: string[];
  exit: string[];
  /** Names of the actors invoked while in this state. */
  invoke: string[];
  transitions: TransitionGraph[];
  states: StateGraph[];
};

export type MachineGraph = { id: string; root: StateGraph };

const idOf = (node: AnyStateNode) => node.path.join(".");

/** A guard or action as the machine names it; inline functions have no name worth showing. */
function nameOf(thing: unknown): string {
  if (typeof thing === "string") return thing;
  const type = (thing as { type?: unknown } | null)?.type;
  if (typeof type === "string") return type.replace(/^xstate\./, "");
  return "inline";
}

type Definition = AnyStateNode["transitions"] extends Map<string, Array<infer T>> ? T : never;

/** Turns XState's internal event types (`xstate.after.…`, `xstate.done.actor.…`) into a kind and a readable name. */
function classify(node: AnyStateNode, t: Definition): Pick<TransitionGraph, "kind" | "event"> {
  const delay = (t as { delay?: unknown }).delay;
  if (delay !== undefined) return { kind: "after", event: typeof delay === "function" ? "inline" : String(delay) };
  for (const [prefix, kind] of [["xstate.done.actor.", "done"], ["xstate.error.actor.", "error"]] as const) {
    if (!t.eventType.startsWith(prefix)) continue;
    const invokeId = t.eventType.slice(prefix.length);
    const invoked = node.invoke.find((i) => i.id === invokeId);
    return { kind, event: invoked ? nameOf(invoked.src) : invokeId };
  }
  if (t.eventType.startsWith("xstate.done.state.")) return { kind: "done", event: "state" };
  return { kind: "event", event: t.eventType };
}

function transition(node: AnyStateNode, t: Definition, kind?: TransitionKind): TransitionGraph {
  return {
    ...(kind ? { kind, event: "" } : classify(node, t)),
    ...(t.guard === undefined ? {} : { guard: nameOf(t.guard) }),
    targets: (t.target ?? []).map(idOf),
    reenter: t.reenter,
    actions: t.actions.map(nameOf),
  };
}

function walk(node: AnyStateNode): StateGraph {
  const children = Object.values(node.states) as AnyStateNode[];
  const transitions: TransitionGraph[] = [];
  for (const list of node.transitions.values()) for (const t of list) transitions.push(transition(node, t));
  for (const t of node.always ?? []) transitions.push(transition(node, t, "always"));
  const initial = node.type === "compound" ? node.initial.target[0] : undefined;
  return {
    id: idOf(node),
    key: node.key,
    type: node.type,
    ...(initial ? { initial: idOf(initial) } : {}),
    entry: node.entry.map(nameOf),
    exit: node.exit.map(nameOf),
    invoke: node.invoke.map((i) => nameOf(i.src)),
    transitions,
    states: children.map(walk),
  };
}

export function walkMachine(machine: AnyStateMachine): MachineGraph {
  return { id: machine.id, root: walk(machine.root) };
}
