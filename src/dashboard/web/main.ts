// The dashboard page: loads the machines' layouts and a snapshot, draws
// every view, then follows /api/stream. Views other than the one shown are
// redrawn when they are next shown, so a busy stream costs only what is
// on screen.
import "./style.css";
import type { DashboardSnapshot, MachinesReply, StreamEvent } from "../api.js";
import { arrowDefs } from "./statechart.js";
import { apply, createModel, type Model } from "./model.js";
import { orderedNodes, worstLiveness } from "./nodes.js";
import { buildShell, type ViewName } from "./shell.js";
import { getJson, openStream } from "./stream.js";
import { drawCluster } from "./views/cluster.js";
import { drawConsumers } from "./views/consumers.js";
import { drawEvents } from "./views/events.js";
import { MachinesView } from "./views/machines.js";
import { drawLookup } from "./views/messages.js";
import { PlotsView } from "./views/plots.js";
import { drawTopics } from "./views/topics.js";
import { TransitionsAside } from "./views/transitions.js";

const RETRY_MS = 3000;
/** How often "seen … ago" and the like are brought up to date without an event. */
const REFRESH_MS = 5000;

const shell = buildShell(document.body);
document.body.append(arrowDefs());

async function load(): Promise<[MachinesReply, DashboardSnapshot]> {
  for (;;) {
    try {
      const got = await Promise.all([getJson<MachinesReply>("/api/machines"), getJson<DashboardSnapshot>("/api/snapshot")]);
      shell.setError(null);
      return got;
    } catch (e) {
      shell.setError(`Cannot load the dashboard's data (${e instanceof Error ? e.message : String(e)}); trying again.`);
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}

function clusterName(snap: DashboardSnapshot): string {
  return snap.cluster.brokers[0]?.info.cluster ?? "Rocketbus";
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * "2 NameServers · 4 replicas, 1 dead · 1 consumer": the cluster at a
 * glance, from the same liveness actors the charts light, so the two agree.
 */
function summary(model: Model): { text: string; alarm: boolean } {
  const nodes = orderedNodes(model);
  const count = (kind: string) => nodes.filter((n) => n.kind === kind).length;
  const seen = nodes.filter((n) => n.kind === "broker").map((n) => worstLiveness(model, n));
  const dead = seen.filter((l) => l === "dead" || l === "removed").length;
  const suspect = seen.filter((l) => l === "suspect").length;
  const trouble = [dead && `${dead} dead`, suspect && `${suspect} suspect`].filter(Boolean).join(", ");
  const text = [plural(count("nameserver"), "NameServer"), plural(seen.length, "replica") + (trouble ? `, ${trouble}` : ""), plural(count("consumer"), "consumer")].join(" · ");
  return { text, alarm: dead + suspect > 0 };
}

async function start(): Promise<void> {
  const [machines, snapshot] = await load();
  const model: Model = createModel(snapshot, machines.machines);
  const aside = new TransitionsAside(model);
  document.body.append(aside.el);
  const machinesView = new MachinesView(shell.views.machines, model, (node) => aside.toggle(node));
  const plots = new PlotsView(shell.views.plots);
  drawLookup(shell.views.messages);

  const dirty = new Set<ViewName>();
  const draw: Partial<Record<ViewName, () => void>> = {
    machines: () => machinesView.sync(),
    cluster: () => drawCluster(shell.views.cluster, model.snapshot.cluster),
    topics: () => drawTopics(shell.views.topics, model.snapshot.cluster),
    consumers: () => drawConsumers(shell.views.consumers, model.snapshot.cluster),
    events: () => drawEvents(shell.views.events, model.snapshot.events),
    plots: () => plots.draw(model.snapshot.samples),
  };
  const touch = (...views: ViewName[]) => {
    for (const v of views) {
      if (shell.shown() === v) draw[v]?.();
      else dirty.add(v);
    }
  };
  const header = () => {
    shell.setTitle(clusterName(model.snapshot), model.snapshot.prefix);
    const s = summary(model);
    shell.setSummary(s.text, s.alarm);
  };
  const drawAll = () => {
    header();
    machinesView.sync();
    touch("cluster", "topics", "consumers", "events", "plots");
    aside.refresh();
  };
  shell.onShow((v) => {
    if (dirty.delete(v) || v === "plots") draw[v]?.();
  });

  drawAll();
  shell.main.dataset.ready = "true";

  const onEvent = (e: StreamEvent) => {
    apply(model, e);
    switch (e.type) {
      case "inspect":
        machinesView.update(e.data);
        aside.refresh(e.data.node);
        if (e.data.machine === "liveness") header();
        return;
      case "nodes":
        header();
        return machinesView.sync();
      case "cluster":
        header();
        machinesView.sync(); // a replica's badges say how the NameServers route it
        return touch("cluster", "topics", "consumers");
      case "event":
        return touch("events");
      case "sample":
        return touch("plots");
    }
  };
  openStream("/api/stream", {
    onEvent,
    onStatus: (c) => shell.setStatus(c),
    onResync: () =>
      void getJson<DashboardSnapshot>("/api/snapshot").then((snap) => {
        Object.assign(model, createModel(snap, [...model.layouts.values()]));
        drawAll();
      }, () => undefined),
  });
  setInterval(() => {
    machinesView.sync();
    touch("cluster");
  }, REFRESH_MS);
}

void start();
