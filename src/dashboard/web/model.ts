// What the page knows: the snapshot it loaded, kept current by the stream's
// events. The views read it; only apply() changes it, so a view redrawn
// from it shows the same as one kept up to date event by event.
import type { DashboardSnapshot, MachineLayout, StreamEvent } from "../api.js";
import type { InspectEvent } from "../../runtime/inspect.js";

/** As the server keeps them (dashboard.md): per node, and in all. */
const TRANSITIONS_PER_NODE = 50;
const EVENTS = 500;
const SAMPLE_WINDOW_MS = 10 * 60_000;

export interface Model {
  snapshot: DashboardSnapshot;
  layouts: Map<string, MachineLayout>;
  /** The latest event of each actor, by actorKey(). */
  actors: Map<string, InspectEvent>;
}

export const actorKey = (node: string, actor: string) => `${node}\u0000${actor}`;

export function createModel(snapshot: DashboardSnapshot, layouts: MachineLayout[]): Model {
  const model: Model = { snapshot, layouts: new Map(layouts.map((l) => [l.machine, l])), actors: new Map() };
  for (const a of snapshot.actors) model.actors.set(actorKey(a.node, a.actor), a);
  return model;
}

/** Takes one stream event into the model. */
export function apply(model: Model, e: StreamEvent): void {
  const snap = model.snapshot;
  switch (e.type) {
    case "inspect": {
      const key = actorKey(e.data.node, e.data.actor);
      const prev = model.actors.get(key);
      if (prev && prev.at > e.data.at) return; // a late copy of something older than what is shown
      model.actors.set(key, e.data);
      const list = (snap.transitions[e.data.node] ??= []);
      // The state the actor was shown in before, which the snapshot may have had from rbus.machines and no transition.
      list.push(prev ? { ...e.data, from: prev.state } : e.data);
      if (list.length > TRANSITIONS_PER_NODE) list.splice(0, list.length - TRANSITIONS_PER_NODE);
      return;
    }
    case "event":
      snap.events.push(e.data);
      if (snap.events.length > EVENTS) snap.events.splice(0, snap.events.length - EVENTS);
      return;
    case "cluster":
      snap.cluster = e.data;
      return;
    case "nodes":
      snap.nodes = e.data;
      return;
    case "sample": {
      snap.samples.push(e.data);
      const from = e.data.at - SAMPLE_WINDOW_MS;
      const keep = snap.samples.findIndex((s) => s.at >= from);
      if (keep > 0) snap.samples.splice(0, keep);
      return;
    }
  }
}

export interface Transition {
  at: number;
  actor: string;
  from: string;
  to: string;
  event: string;
}

/** "candidate.preVote", "alive", or a parallel state's leaves joined by ", ". */
export function stateText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || typeof value !== "object") return String(value);
  const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    const inner = stateText(v);
    return inner.includes(", ") ? `${k}(${inner})` : `${k}.${inner}`;
  });
  return parts.join(", ");
}

/**
 * A node's transitions, newest first, each with the state its actor left:
 * its transition before, else the state known when it came (a rbus.machines
 * answer, which is no transition); "" only for an actor's start.
 */
export function transitionsOf(model: Model, node: string): Transition[] {
  const last = new Map<string, string>();
  const out: Transition[] = [];
  for (const e of model.snapshot.transitions[node] ?? []) {
    const to = e.status === "active" ? stateText(e.state) : `${stateText(e.state)} (${e.status})`;
    const from = last.get(e.actor) ?? (e.from === undefined ? "" : stateText(e.from));
    out.push({ at: e.at, actor: e.actor, from, to, event: e.event });
    last.set(e.actor, to);
  }
  return out.reverse();
}
