// Every machine drawn as a statechart: its definition (walkMachine) laid
// out by ELK's layered algorithm, hierarchically, so compound states
// enclose their children and transitions route across levels. Done once at
// start; the page only draws the boxes and polylines it is given.
import elkBundled from "elkjs/lib/elk.bundled.js";
import type { ELK as Elk, ELKConstructorArguments, ElkExtendedEdge, ElkLabel, ElkNode } from "elkjs/lib/elk-api.js";
import { describe, MACHINES, type MachineEntry } from "../machines-doc/catalog.js";
import { walkMachine, type StateGraph, type TransitionGraph } from "../machines-doc/graph.js";
import type { LaidEdge, LaidState, MachineLayout, MachinesReply } from "./api.js";

/** What the page's text measures, roughly: 12px sans-serif. */
const CHAR_WIDTH = 7;
const STATE_HEIGHT = 36;
const LABEL_HEIGHT = 16;
/** Room at the top of a compound state for its own name. */
const COMPOUND_TOP = 30;

const OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.hierarchyHandling": "INCLUDE_CHILDREN",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.edgeLabels.placement": "CENTER",
  "elk.layered.spacing.nodeNodeBetweenLayers": "40",
  "elk.spacing.nodeNode": "30",
  "elk.spacing.edgeLabel": "4",
  // Absolute coordinates for shapes and edges, whatever node holds them.
  "elk.json.shapeCoords": "ROOT",
  "elk.json.edgeCoords": "ROOT",
};

/** A duration as people write it: 30000 → "30s", 500 → "500ms"; a named delay stays its name. */
function duration(delay: string): string {
  if (!/^\d+$/.test(delay)) return delay;
  const ms = Number(delay);
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}min`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** "TICK", "after heartbeatInterval", "always", "done fetch", each with "[guard]" when guarded. */
export function transitionLabel(t: TransitionGraph): string {
  const head =
    t.kind === "event" ? t.event
    : t.kind === "after" ? `after ${duration(t.event)}`
    : t.kind === "always" ? "always"
    : t.kind === "done" && t.event === "state" ? "done"
    : `${t.kind} ${t.event}`;
  return t.guard ? `${head} [${t.guard}]` : head;
}

const textWidth = (text: string) => text.length * CHAR_WIDTH + 12;

function elkNode(state: StateGraph): ElkNode {
  const label = { text: state.key, width: textWidth(state.key), height: LABEL_HEIGHT };
  if (state.states.length === 0) {
    return { id: state.id, width: Math.max(80, textWidth(state.key) + 16), height: STATE_HEIGHT, labels: [label] };
  }
  return {
    id: state.id,
    labels: [label],
    layoutOptions: {
      "elk.padding": `[top=${COMPOUND_TOP},left=14,bottom=14,right=14]`,
      "elk.nodeLabels.placement": "[H_LEFT, V_TOP, INSIDE]",
      "elk.nodeSize.constraints": "MINIMUM_SIZE NODE_LABELS",
      "elk.nodeSize.minimum": `(${textWidth(state.key) + 28}, ${COMPOUND_TOP + 20})`,
    },
    children: state.states.map(elkNode),
  };
}

type Pending = { from: string; to: string; t: TransitionGraph; label: string };

/** Every transition of every state, one per target; a transition with no target loops on its state. */
function transitionsOf(state: StateGraph, out: Pending[] = []): Pending[] {
  for (const t of state.transitions) {
    if (state.id === "") continue; // the root's own transitions have no box to start from
    const targets = t.targets.length > 0 ? t.targets : [state.id];
    for (const to of targets) out.push({ from: state.id, to, t, label: transitionLabel(t) });
  }
  for (const child of state.states) transitionsOf(child, out);
  return out;
}

function laidStates(state: StateGraph, boxes: Map<string, ElkNode>, out: LaidState[] = []): LaidState[] {
  for (const child of state.states) {
    const box = boxes.get(child.id)!;
    out.push({
      id: child.id,
      key: child.key,
      parent: state.id,
      type: child.type,
      initial: state.initial === child.id,
      x: box.x ?? 0,
      y: box.y ?? 0,
      width: box.width ?? 0,
      height: box.height ?? 0,
    });
    laidStates(child, boxes, out);
  }
  return out;
}

function collectBoxes(node: ElkNode, into = new Map<string, ElkNode>()): Map<string, ElkNode> {
  into.set(node.id, node);
  for (const child of node.children ?? []) collectBoxes(child, into);
  return into;
}

// The bundle is CommonJS: its module object is the constructor itself.
const ELK = elkBundled as unknown as new (args?: ELKConstructorArguments) => Elk;

const ROOT_ID = "__root";

export async function layoutMachine(entry: MachineEntry, elk: Elk = new ELK()): Promise<MachineLayout> {
  const graph = walkMachine(entry.machine);
  // Transitions between the same two states share one arrow, their labels stacked
  // beside it: a state with eight self transitions gets one loop, not eight nested ones.
  const bundles = new Map<string, Pending[]>();
  for (const p of transitionsOf(graph.root)) {
    const key = `${p.from}\u0000${p.to}`;
    bundles.set(key, [...(bundles.get(key) ?? []), p]);
  }
  const edges: ElkExtendedEdge[] = [...bundles.values()].map((list, i) => ({
    id: `e${i}`,
    sources: [list[0]!.from],
    targets: [list[0]!.to],
    labels: [{ id: `l${i}`, text: list.map((p) => p.label).join("\n"), width: Math.max(...list.map((p) => textWidth(p.label))), height: list.length * LABEL_HEIGHT }],
  }));
  const root: ElkNode = {
    id: ROOT_ID,
    layoutOptions: { ...OPTIONS, "elk.padding": "[top=12,left=12,bottom=12,right=12]" },
    children: graph.root.states.map(elkNode),
    edges,
  };
  const laid: ElkNode = await elk.layout(root);
  const boxes = collectBoxes(laid);
  const laidEdges: LaidEdge[] = [...bundles.values()].flatMap((list, i) => {
    const edge = laid.edges![i]!;
    const points: Array<[number, number]> = [];
    for (const s of edge.sections ?? []) {
      if (points.length === 0) points.push([s.startPoint.x, s.startPoint.y]);
      for (const b of s.bendPoints ?? []) points.push([b.x, b.y]);
      points.push([s.endPoint.x, s.endPoint.y]);
    }
    const l: ElkLabel = edge.labels?.[0] ?? {};
    return list.map((p, row): LaidEdge => ({
      from: p.from,
      to: p.to,
      kind: p.t.kind,
      label: p.label,
      points,
      labelAt: { x: l.x ?? 0, y: (l.y ?? 0) + row * LABEL_HEIGHT, width: textWidth(p.label), height: LABEL_HEIGHT },
    }));
  });
  return {
    machine: graph.id,
    name: entry.name,
    purpose: await describe(entry),
    width: laid.width ?? 0,
    height: laid.height ?? 0,
    states: laidStates(graph.root, boxes),
    edges: laidEdges,
  };
}

/** Every machine of the catalog, laid out one after the other (ELK is single-threaded here anyway). */
export async function layoutMachines(entries: readonly MachineEntry[] = MACHINES): Promise<MachinesReply> {
  const elk = new ELK();
  const machines: MachineLayout[] = [];
  for (const entry of entries) machines.push(await layoutMachine(entry, elk));
  return { machines };
}
