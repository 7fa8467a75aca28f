// The Machines view: a section per node with a statechart per actor, the
// current state lit. Sections and charts are made once and then only
// re-lit, so a change of state moves nothing on the page.
import type { NodeView } from "../../api.js";
import type { InspectEvent } from "../../../runtime/inspect.js";
import { activeStateIds } from "../../state-ids.js";
import { ago, h, placeInOrder } from "../dom.js";
import { actorKey, stateText, type Model } from "../model.js";
import { orderedNodes, replicaKey, worstLiveness } from "../nodes.js";
import { newestTerm, roleConflict, topRole } from "../roles.js";
import { drawChart, lightStates } from "../statechart.js";

interface Chart {
  figure: HTMLElement;
  svg: SVGSVGElement | null;
  caption: HTMLElement;
}

interface Section {
  el: HTMLElement;
  badges: HTMLElement;
  seen: HTMLElement;
  charts: HTMLElement;
  liveness: HTMLElement;
  byActor: Map<string, Chart>;
}

/** Within a node: its own machine first (a replica's role before its registration), then its liveness actors by broker. */
const ACTOR_ORDER: Record<string, number> = { nameserver: 0, role: 1, registration: 2, rebalance: 3, liveness: 9 };

export class MachinesView {
  private readonly groups = h("div", { class: "node-list" });
  private readonly sections = new Map<string, Section>();

  constructor(
    private readonly el: HTMLElement,
    private readonly model: Model,
    private readonly openNode: (node: string) => void,
  ) {
    this.el.append(this.groups);
  }

  /** Makes the sections match the model's nodes and actors, and lights every chart. */
  sync(): void {
    const nodes = orderedNodes(this.model);
    const keep = new Set(nodes.map((n) => n.name));
    for (const [name, sec] of this.sections) if (!keep.has(name)) (sec.el.remove(), this.sections.delete(name));
    const groups = new Map<HTMLElement, HTMLElement[]>();
    for (const node of nodes) {
      const group = this.groupEl(node.kind === "broker" ? `broker:${node.group ?? ""}` : node.kind, node);
      const sec = this.section(node);
      (groups.get(group) ?? groups.set(group, []).get(group)!).push(sec.el);
      this.syncSection(node, sec);
    }
    for (const [group, members] of groups) placeInOrder(group.querySelector(".group-nodes")!, members);
    placeInOrder(this.groups, [...groups.keys()]);
  }

  /** One actor changed: re-light its chart, or sync all when it is new to the page. */
  update(e: InspectEvent): void {
    const sec = this.sections.get(e.node);
    const chart = sec?.byActor.get(e.actor);
    if (!sec || !chart) return this.sync();
    // The model's latest, not the event itself: a late copy of an older event was not taken.
    this.light(chart, this.model.actors.get(actorKey(e.node, e.actor)) ?? e);
    const node = orderedNodes(this.model).find((n) => n.name === e.node);
    if (node) this.badges(node, sec);
    if (e.machine === "liveness") this.sync(); // a broker's colour follows every NameServer's view of it
  }

  private readonly groupEls = new Map<string, HTMLElement>();
  private groupEl(key: string, node: NodeView): HTMLElement {
    let el = this.groupEls.get(key);
    if (el) return el;
    const title = node.kind === "broker" ? `Broker group ${node.group ?? "?"}` : node.kind === "nameserver" ? "NameServers" : node.kind === "consumer" ? "Consumers" : "Producers";
    el = h("div", { class: `group kind-${node.kind}`, "data-group": key }, h("h2", {}, title), h("div", { class: "group-nodes" }));
    this.groupEls.set(key, el);
    return el;
  }

  private section(node: NodeView): Section {
    const found = this.sections.get(node.name);
    if (found) return found;
    const badges = h("span", { class: "badges" });
    const seen = h("span", { class: "seen" });
    // Folding a node keeps its header (name, role, liveness) and hides its charts: a group's other replicas out of the way.
    const fold = h("button", { type: "button", class: "fold", title: "Fold or unfold its charts", "aria-expanded": "true" }, "▾");
    const header = h("header", { title: "Show recent transitions", tabindex: 0, role: "button" }, fold, h("span", { class: "name" }, node.name), badges, seen);
    fold.addEventListener("click", (e) => {
      e.stopPropagation();
      const folded = el.dataset.folded !== "true";
      el.dataset.folded = String(folded);
      fold.textContent = folded ? "▸" : "▾";
      fold.setAttribute("aria-expanded", String(!folded));
    });
    fold.addEventListener("keydown", (e) => e.stopPropagation());
    header.addEventListener("click", () => this.openNode(node.name));
    header.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") (e.preventDefault(), this.openNode(node.name));
    });
    const charts = h("div", { class: "charts" });
    const liveness = h("div", { class: "liveness-grid" });
    const el = h("section", { class: "node", "data-node": node.name, "data-kind": node.kind }, header, charts, liveness);
    const sec = { el, badges, seen, charts, liveness, byActor: new Map<string, Chart>() };
    this.sections.set(node.name, sec);
    return sec;
  }

  private syncSection(node: NodeView, sec: Section): void {
    const actors = [...this.model.actors.values()]
      .filter((a) => a.node === node.name)
      .sort((a, b) => (ACTOR_ORDER[a.machine] ?? 5) - (ACTOR_ORDER[b.machine] ?? 5) || a.actor.localeCompare(b.actor));
    const own: HTMLElement[] = [];
    const liveness: HTMLElement[] = [];
    for (const a of actors) {
      let chart = sec.byActor.get(a.actor);
      if (!chart) {
        chart = this.chart(node.name, a);
        sec.byActor.set(a.actor, chart);
      }
      (a.machine === "liveness" ? liveness : own).push(chart.figure);
      this.light(chart, a);
    }
    placeInOrder(sec.charts, own.length ? own : [h("p", { class: "empty" }, "No machines heard from yet.")]);
    placeInOrder(sec.liveness, liveness);
    sec.liveness.hidden = !liveness.length;
    this.badges(node, sec);
  }

  private chart(node: string, a: InspectEvent): Chart {
    const layout = this.model.layouts.get(a.machine);
    const compact = a.machine === "liveness";
    const svg = layout ? drawChart(layout, { node, actor: a.actor, compact }) : null;
    const label = compact ? a.actor.replace(/^liveness-/, "") : a.actor;
    const caption = h("span", { class: "state-now" });
    const figure = h(
      "figure",
      { class: compact ? "chart compact" : "chart", "data-actor": a.actor },
      h("figcaption", { title: layout?.purpose ?? "" }, h("span", { class: "actor" }, label), !compact && h("span", { class: "machine-name" }, a.machine), caption),
      svg ?? h("p", { class: "empty" }, `No diagram for machine "${a.machine}".`),
    );
    // A big chart is fitted to the page's width; a click shows it at its own size, to scroll along.
    if (svg && !compact) svg.addEventListener("click", () => figure.classList.toggle("zoomed"));
    return { figure, svg, caption };
  }

  private light(chart: Chart, a: InspectEvent): void {
    if (chart.svg) lightStates(chart.svg, a.status === "active" || a.status === "done" ? activeStateIds(a.state) : []);
    chart.figure.dataset.status = a.status;
    if (a.machine === "liveness" && typeof a.state === "string") chart.figure.dataset.liveness = a.state;
    const ctx = a.context ?? {};
    const extra =
      a.machine === "role" ? ` · term ${String(ctx.term ?? "?")} · master ${ctx.master === undefined || ctx.master === null ? "none" : String(ctx.master)}`
      : a.machine === "rebalance" && typeof ctx.queueCount === "number" ? ` · ${ctx.queueCount} queue${ctx.queueCount === 1 ? "" : "s"} held`
      : "";
    chart.caption.textContent = `${stateText(a.state)}${a.status === "active" ? "" : ` (${a.status})`}${extra}`;
  }

  private badges(node: NodeView, sec: Section): void {
    const out: HTMLElement[] = [h("span", { class: "badge kind" }, node.kind)];
    if (node.kind === "broker") {
      const role = this.model.actors.get(actorKey(node.name, "role"));
      if (role) {
        const r = topRole(stateText(role.state));
        out.push(h("span", { class: `badge role-${r}`, title: "as its own role machine last said" }, `${r} · term ${String(role.context?.term ?? "?")}`));
        // A killed master's chart shows what it last said; the NameServers may already route it otherwise.
        const rows = this.model.snapshot.cluster.brokers;
        const row = rows.find((b) => b.node === node.name);
        const term = typeof role.context?.term === "number" ? role.context.term : undefined;
        const routed = row?.role;
        const conflict = row && roleConflict(routed, r, term, newestTerm(rows, row.group));
        if (conflict) out.push(h("span", { class: `badge routed role-${routed}`, title: conflict }, `routed as ${routed}`));
      }
      const live = worstLiveness(this.model, node);
      if (live) out.push(h("span", { class: `badge live-${live}`, title: `worst of every NameServer's view of ${replicaKey(node)}` }, live));
      sec.el.dataset.liveness = live ?? "";
    }
    if (node.consumerGroup) out.push(h("span", { class: "badge" }, node.consumerGroup));
    sec.badges.replaceChildren(...out);
    sec.seen.textContent = node.lastSeen ? `seen ${ago(node.lastSeen)}` : "";
  }
}
