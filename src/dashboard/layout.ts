// Every machine drawn as a statechart: its definition (walkMachine) laid
// out by ELK's layered algorithm, hierarchically, so compound states
// enclose their children and transitions route across levels. Done once at
// start; the page only draws the boxes and polylines it is given.
import elkBundled from "elkjs/lib/elk.bundled.js";
import type { ELK as Elk, ELKConstructorArguments, ElkExtendedEdge, ElkLabel, ElkNode } from "elkjs/lib/elk-api.js";
import { describe, MACHINES, type MachineEntry } from "../machines-doc/catalog.js";
import { walkMachine, type StateGraph, type TransitionGraph } from "../machines-doc/graph.js";
import type { LaidEdge, LaidState, MachineLayout, MachinesReply } from "./api.js";

/** What the page's text measures, roughly: edge labels are 11px sans-serif, mostly capitals. */
const CHAR_WIDTH = 6.5;
const STATE_HEIGHT = 36;
const LABEL_HEIGHT = 14;
/** Room at the top of a compound state for its own name. */
const COMPOUND_TOP = 30;

const OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.hierarchyHandling": "INCLUDE_CHILDREN",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.layered.spacing.nodeNodeBetweenLayers": "24",
  "elk.spacing.nodeNode": "16",
  "elk.layered.spacing.edgeNodeBetweenLayers": "6",
  "elk.layered.spacing.edgeEdgeBetweenLayers": "6",
  "elk.spacing.edgeEdge": "6",
  "elk.spacing.edgeNode": "8",
  "elk.layered.compaction.postCompaction.strategy": "EDGE_LENGTH",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
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

/** A state's self transitions, listed inside its box (UML's internal-transition compartment) rather than looped beside it. */
type Loops = Map<string, Pending[]>;
/** Where a leaf's list of self transitions starts, below its name. */
const LEAF_ROWS_TOP = 32;
/** Where a compound's list starts, below its title. */
const COMPOUND_ROWS_TOP = 26;
/** How far the loop that marks a listed state's self transitions stands out of its right side. */
const LOOP_OUT = 10;

const rowsWidth = (rows: Pending[] | undefined) => Math.max(0, ...(rows ?? []).map((p) => textWidth(p.label) + 8 + LOOP_OUT));

function elkNode(state: StateGraph, loops: Loops): ElkNode {
  const label = { text: state.key, width: textWidth(state.key), height: LABEL_HEIGHT };
  const rows = loops.get(state.id);
  const n = rows?.length ?? 0;
  if (state.states.length === 0) {
    const width = Math.max(80, textWidth(state.key) + 16, rowsWidth(rows));
    return { id: state.id, width, height: n ? LEAF_ROWS_TOP + n * LABEL_HEIGHT + 6 : STATE_HEIGHT, labels: [label] };
  }
  // A compound lists its self transitions down its left side, under its title, its children to their right.
  const left = n ? rowsWidth(rows) + 8 : 14;
  return {
    id: state.id,
    labels: [label],
    layoutOptions: {
      "elk.padding": `[top=${COMPOUND_TOP},left=${left},bottom=14,right=14]`,
      "elk.nodeLabels.placement": "[H_LEFT, V_TOP, INSIDE]",
      "elk.nodeSize.constraints": "MINIMUM_SIZE NODE_LABELS",
      "elk.nodeSize.minimum": `(${textWidth(state.key) + 28}, ${Math.max(COMPOUND_TOP + 20, COMPOUND_ROWS_TOP + n * LABEL_HEIGHT + 8)})`,
    },
    children: state.states.map((c) => elkNode(c, loops)),
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

function laidStates(state: StateGraph, boxes: Map<string, ElkNode>, loops: Loops, out: LaidState[] = []): LaidState[] {
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
      ...(loops.has(child.id) ? { loops: loops.get(child.id)!.length } : {}),
    });
    laidStates(child, boxes, loops, out);
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

/** Per machine: ELK options over OPTIONS, and whether its self transitions are listed inside their states. */
interface MachineStyle {
  options?: Record<string, string>;
  /** Top-level states by layer group: ELK keeps a lower partition's states in earlier layers. */
  partitions?: Record<string, number>;
  loopsInside?: boolean;
}
const STYLES: Record<string, MachineStyle> = {
  // Only ever drawn small, which leaves its loops out: beside the states they cost nothing drawn.
  liveness: { loopsInside: false, partitions: { alive: 0, suspect: 1, dead: 2, removed: 3 } },
  // Master in the layer right under starting, before slave and candidate: a replica's lit role near the top of its chart.
  role: { partitions: { starting: 0, master: 1, slave: 1, candidate: 2 } },
};

/** A bundle's transitions along one polyline, their labels one row each from (x, top). */
function stacked(list: Pending[], points: Array<[number, number]>, x: number, top: number): LaidEdge[] {
  return list.map((p, row) => ({
    from: p.from,
    to: p.to,
    kind: p.t.kind,
    label: p.label,
    points,
    labelAt: { x, y: top + row * LABEL_HEIGHT, width: textWidth(p.label), height: LABEL_HEIGHT },
  }));
}

/** A short loop out of the box's right side and back, marking the self transitions listed inside it. */
function loopPoints(box: ElkNode, compound: boolean): Array<[number, number]> {
  const right = (box.x ?? 0) + (box.width ?? 0);
  const top = (box.y ?? 0) + (compound ? 8 : 6);
  return [[right, top], [right + LOOP_OUT, top], [right + LOOP_OUT, top + 12], [right, top + 12]];
}

export async function layoutMachine(entry: MachineEntry, elk: Elk = new ELK(), style: MachineStyle = {}): Promise<MachineLayout> {
  const graph = walkMachine(entry.machine);
  const { options = {}, loopsInside = true, partitions } = { ...STYLES[graph.id], ...style };
  // Transitions between the same two states share one arrow, their labels stacked
  // at its start (TAIL: beside the arrow, not a stack of its own between layers, which
  // widened every chart). A state's self transitions are listed inside its box
  // under its name, one short loop marking them: eight would otherwise be one tall
  // stack of labels beside it.
  const bundles = new Map<string, Pending[]>();
  for (const p of transitionsOf(graph.root)) {
    const key = `${p.from}\u0000${p.to}`;
    bundles.set(key, [...(bundles.get(key) ?? []), p]);
  }
  const inside = (list: Pending[]) => loopsInside && list[0]!.from === list[0]!.to;
  const loops: Loops = new Map([...bundles.values()].filter(inside).map((list) => [list[0]!.from, list]));
  const edges: ElkExtendedEdge[] = [...bundles.values()].flatMap((list, i) =>
    inside(list) ? [] : [{
      id: `e${i}`,
      sources: [list[0]!.from],
      targets: [list[0]!.to],
      labels: [{ id: `l${i}`, text: list.map((p) => p.label).join("\n"), width: Math.max(...list.map((p) => textWidth(p.label))), height: list.length * LABEL_HEIGHT, layoutOptions: { "elk.edgeLabels.placement": "TAIL" } }],
    }],
  );
  const root: ElkNode = {
    id: ROOT_ID,
    layoutOptions: { ...OPTIONS, "elk.padding": "[top=12,left=12,bottom=12,right=12]", ...(partitions ? { "elk.partitioning.activate": "true" } : {}), ...options },
    children: graph.root.states.map((c) => {
      const n = elkNode(c, loops);
      const part = partitions?.[c.id];
      if (part !== undefined) n.layoutOptions = { ...n.layoutOptions, "elk.partitioning.partition": String(part) };
      return n;
    }),
    edges,
  };
  const laid: ElkNode = await elk.layout(root);
  const boxes = collectBoxes(laid);
  const laidById = new Map((laid.edges ?? []).map((e) => [e.id, e]));
  const laidEdges: LaidEdge[] = [...bundles.values()].flatMap((list, i) => {
    if (inside(list)) {
      const box = boxes.get(list[0]!.from)!;
      const compound = (box.children?.length ?? 0) > 0;
      return stacked(list, loopPoints(box, compound), (box.x ?? 0) + 4, (box.y ?? 0) + (compound ? COMPOUND_ROWS_TOP : LEAF_ROWS_TOP));
    }
    const edge = laidById.get(`e${i}`)!;
    const points: Array<[number, number]> = [];
    for (const s of edge.sections ?? []) {
      if (points.length === 0) points.push([s.startPoint.x, s.startPoint.y]);
      for (const b of s.bendPoints ?? []) points.push([b.x, b.y]);
      points.push([s.endPoint.x, s.endPoint.y]);
    }
    const l: ElkLabel = edge.labels?.[0] ?? {};
    return stacked(list, points, l.x ?? 0, l.y ?? 0);
  });
  return {
    machine: graph.id,
    name: entry.name,
    purpose: await describe(entry),
    width: laid.width ?? 0,
    height: laid.height ?? 0,
    states: laidStates(graph.root, boxes, loops),
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
