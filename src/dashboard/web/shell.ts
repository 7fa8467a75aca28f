// The page's frame: the header (cluster, prefix, connection), the tabs and
// one container per view. The view shown is named in the address's hash
// (#plots), so a reload or a shared link opens the same tab.
import type { Connection } from "./stream.js";
import { h } from "./dom.js";

export const VIEWS = ["machines", "cluster", "topics", "consumers", "events", "plots", "messages"] as const;
export type ViewName = (typeof VIEWS)[number];

const TITLES: Record<ViewName, string> = {
  machines: "Machines",
  cluster: "Cluster",
  topics: "Topics",
  consumers: "Consumers",
  events: "Events",
  plots: "Plots",
  messages: "Messages",
};

const STATUS_TEXT: Record<Connection, string> = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…" };

export interface Shell {
  main: HTMLElement;
  views: Record<ViewName, HTMLElement>;
  setTitle(cluster: string, prefix: string): void;
  setStatus(c: Connection): void;
  /** What the cluster holds, in a few words; `alarm` colours it (a replica dead or suspect). */
  setSummary(text: string, alarm: boolean): void;
  setError(message: string | null): void;
  shown(): ViewName;
  onShow(f: (v: ViewName) => void): void;
}

export function buildShell(root: HTMLElement): Shell {
  const cluster = h("span", { class: "cluster" }, "Rocketbus");
  const prefix = h("span", { class: "prefix" });
  const status = h("span", { class: "status", "data-status": "connecting" }, STATUS_TEXT.connecting);
  const summary = h("span", { class: "summary" });
  const error = h("div", { class: "load-error", role: "alert", hidden: true });
  const buttons = VIEWS.map((v) => h("button", { type: "button", "data-view": v, role: "tab" }, TITLES[v]));
  const views = Object.fromEntries(VIEWS.map((v) => [v, h("div", { class: "view", "data-view": v, role: "tabpanel", hidden: true })])) as unknown as Record<ViewName, HTMLElement>;
  const main = h("main", {}, error, ...VIEWS.map((v) => views[v]));
  root.replaceChildren(h("header", { class: "top" }, h("h1", {}, cluster, prefix), h("nav", { role: "tablist" }, ...buttons), summary, status), main);

  const listeners: Array<(v: ViewName) => void> = [];
  const fromHash = (): ViewName => {
    const want = location.hash.slice(1);
    return (VIEWS as readonly string[]).includes(want) ? (want as ViewName) : "machines";
  };
  let current: ViewName = fromHash();
  const show = (v: ViewName) => {
    current = v;
    for (const b of buttons) b.setAttribute("aria-selected", String(b.dataset.view === v));
    for (const name of VIEWS) views[name].hidden = name !== v;
    for (const f of listeners) f(v);
  };
  for (const b of buttons) b.addEventListener("click", () => (location.hash = b.dataset.view === "machines" ? "" : b.dataset.view!, show(b.dataset.view as ViewName)));
  window.addEventListener("hashchange", () => show(fromHash()));
  show(current);

  return {
    main,
    views,
    setTitle(name, p) {
      cluster.textContent = name;
      prefix.textContent = p;
      document.title = `${name} · Rocketbus`;
    },
    setStatus(c) {
      status.dataset.status = c;
      status.textContent = STATUS_TEXT[c];
    },
    setSummary(text, alarm) {
      summary.textContent = text;
      summary.classList.toggle("alarm", alarm);
    },
    setError(message) {
      error.hidden = message === null;
      error.textContent = message ?? "";
    },
    shown: () => current,
    onShow: (f) => void listeners.push(f),
  };
}
