// Draws one machine's laid-out statechart as SVG: rounded boxes for states
// (compound ones around their children), a dot and arrow at each initial
// state, arrows along the edges' polylines with their labels. The layout's
// coordinates are used as they are, so lighting a state changes colours
// only and nothing moves.
import type { LaidEdge, LaidState, MachineLayout } from "../api.js";
import { s } from "./dom.js";

/** Room around the layout for the initial markers and stroke widths. */
const PAD = 18;

export interface ChartOptions {
  node: string;
  actor: string;
  /** A small chart: no edge labels, scaled down (the NameServer's liveness charts). */
  compact?: boolean;
}

export function drawChart(layout: MachineLayout, opts: ChartOptions): SVGSVGElement {
  const compact = opts.compact === true;
  // A small chart leaves out the loops of transitions that change no state: they take most of its room.
  const edges = compact ? layout.edges.filter((e) => e.from !== e.to) : layout.edges;
  const box = compact ? bounds(layout.states, edges) : { x: 0, y: 0, width: layout.width, height: layout.height };
  const w = box.width + PAD * 2;
  const hgt = box.height + PAD * 2;
  const scale = compact ? COMPACT_SCALE : 1;
  const svg = s("svg", {
    class: compact ? "machine compact" : "machine",
    "data-node": opts.node,
    "data-actor": opts.actor,
    "data-machine": layout.machine,
    viewBox: `${box.x - PAD} ${box.y - PAD} ${w} ${hgt}`,
    width: Math.round(w * scale),
    height: Math.round(hgt * scale),
    role: "img",
    "aria-label": `${layout.machine} of ${opts.actor}`,
  });
  const states = s("g", { class: "states" });
  for (const st of layout.states) states.append(drawState(st));
  const lines = s("g", { class: "edges" });
  for (const e of edges) lines.append(drawEdge(e, compact));
  const initials = s("g", { class: "initials" });
  for (const st of layout.states) if (st.initial) initials.append(drawInitial(st));
  svg.append(states, lines, initials);
  return svg;
}

/** Four liveness charts in a row within half a 1280-wide page, so two NameServers sit side by side. */
const COMPACT_SCALE = 0.52;
/** Where a leaf listing its self transitions has its name and the rule under it (the layout starts the list at 32). */
const LEAF_NAME_Y = 16;
const LEAF_RULE_Y = 30;
/** The layout measures a label's box as its text plus 6 px each side. */
const LABEL_INSET = 6;

/** The box around the states and the edges kept. */
function bounds(states: readonly LaidState[], edges: readonly LaidEdge[]): { x: number; y: number; width: number; height: number } {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  const take = (x: number, y: number) => ((x0 = Math.min(x0, x)), (y0 = Math.min(y0, y)), (x1 = Math.max(x1, x)), (y1 = Math.max(y1, y)));
  for (const st of states) take(st.x, st.y), take(st.x + st.width, st.y + st.height);
  for (const e of edges) for (const [x, y] of e.points) take(x, y);
  return x0 === Infinity ? { x: 0, y: 0, width: 0, height: 0 } : { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function drawState(st: LaidState): SVGGElement {
  const compound = st.type === "compound" || st.type === "parallel";
  const g = s("g", { class: `state ${st.type}`, "data-state": st.id });
  // Tooltips say in full what a chart fitted to the page may draw too small to read.
  g.append(s("title", {}, st.id));
  g.append(s("rect", { x: st.x, y: st.y, width: st.width, height: st.height, rx: compound ? 10 : 8 }));
  if (st.type === "final") {
    g.append(s("rect", { class: "inner", x: st.x + 3, y: st.y + 3, width: st.width - 6, height: st.height - 6, rx: 6 }));
  }
  // A leaf that lists its self transitions keeps its name at the top, a rule between name and list.
  const nameY = st.loops ? st.y + LEAF_NAME_Y : st.y + st.height / 2;
  const label = compound
    ? s("text", { x: st.x + 10, y: st.y + 17, class: "label title" }, st.key)
    : s("text", { x: st.x + st.width / 2, y: nameY, class: "label", "text-anchor": "middle", "dominant-baseline": "central" }, st.key);
  g.append(label);
  if (st.loops && !compound) g.append(s("path", { class: "rule", d: `M${st.x} ${st.y + LEAF_RULE_Y} H${st.x + st.width}` }));
  if (st.type === "parallel") g.append(s("text", { x: st.x + st.width - 10, y: st.y + 17, class: "label hint", "text-anchor": "end" }, "parallel"));
  return g;
}

function drawEdge(e: LaidEdge, compact: boolean): SVGGElement {
  const g = s("g", { class: `edge ${e.kind}${e.from === e.to ? " self" : ""}`, "data-from": e.from, "data-to": e.to });
  if (e.label) g.append(s("title", {}, `${e.from} → ${e.to}: ${e.label}`));
  if (e.points.length >= 2) {
    const d = e.points.map(([x, y], i) => `${i ? "L" : "M"}${x} ${y}`).join(" ");
    g.append(s("path", { d, "marker-end": "url(#rb-arrow)" }));
  }
  if (!compact && e.label && e.labelAt.width > 0) {
    const { x, y, height } = e.labelAt;
    // Left-aligned in its box: labels the layout stacks (several events between the same states) line up.
    g.append(s("text", { x: x + LABEL_INSET, y: y + height / 2, class: "edge-label", "dominant-baseline": "central" }, e.label));
  }
  return g;
}

/** A filled dot left of the state with a short arrow into it, as statecharts mark an initial state. */
function drawInitial(st: LaidState): SVGGElement {
  const y = st.y + Math.min(st.height / 2, 17);
  const x = st.x;
  return s(
    "g",
    { class: "initial", "data-for": st.id },
    s("circle", { cx: x - 13, cy: y, r: 3.5 }),
    s("path", { d: `M${x - 9.5} ${y} L${x - 1} ${y}`, "marker-end": "url(#rb-arrow)" }),
  );
}

/** The arrow head every chart's edges point with, defined once for the page. */
export function arrowDefs(): SVGSVGElement {
  return s(
    "svg",
    { class: "defs", width: 0, height: 0, "aria-hidden": "true" },
    s("defs", {}, s("marker", { id: "rb-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, s("path", { d: "M0 0 L10 5 L0 10 z" }))),
  );
}

/** Lights exactly the given states of a chart; a state newly lit flashes once. */
export function lightStates(svg: SVGSVGElement, ids: readonly string[]): void {
  const want = new Set(ids);
  for (const g of svg.querySelectorAll<SVGGElement>("g.state")) {
    const on = want.has(g.dataset.state ?? "");
    const was = g.classList.contains("active");
    if (on === was) continue;
    g.classList.toggle("active", on);
    if (on) {
      g.setAttribute("data-active", "true");
      g.classList.remove("entered");
      // Restart the flash: reading layout between removing and adding the class re-triggers the animation.
      void g.getBoundingClientRect();
      g.classList.add("entered");
    } else {
      g.removeAttribute("data-active");
      g.classList.remove("entered");
    }
  }
}
