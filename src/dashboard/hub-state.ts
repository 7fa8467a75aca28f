// What the dashboard remembers of the cluster, bounded in every dimension:
// anyone with the producer or consumer role may publish on rbus.inspect.*,
// so no count of nodes, actors, transitions, events or samples may grow
// with what they send. Beyond a bound a message is dropped and counted.
import type { DashboardSnapshot, NodeKind, NodeView, Sample, TimelineEvent, TransitionEvent } from "./api.js";
import type { InspectEvent } from "../runtime/inspect.js";

export interface HubLimits {
  maxNodes: number;
  maxActors: number;
  transitionsPerNode: number;
  maxEvents: number;
  /** Samples older than this are forgotten. */
  sampleWindowMs: number;
  /** A message larger than this (bytes of JSON) is dropped unread. */
  maxMessageBytes: number;
  /** A node that no poll lists and that said nothing for this long is forgotten. */
  forgetAfterMs: number;
}

export const DEFAULT_HUB_LIMITS: HubLimits = {
  maxNodes: 1000,
  maxActors: 10_000,
  transitionsPerNode: 50,
  maxEvents: 500,
  sampleWindowMs: 10 * 60_000,
  maxMessageBytes: 16 * 1024,
  forgetAfterMs: 10 * 60_000,
};

export type DropReason = "nodes" | "actors" | "size" | "spoofed" | "malformed";

/** The kind a node's own machines say it is, when no poll has said so. */
function kindOfMachine(machine: string): NodeKind {
  return machine === "rebalance" ? "consumer" : "producer";
}

/** Whether two events of an actor show the same thing: state, status and context. */
const sameView = (a: InspectEvent, b: InspectEvent) =>
  a.status === b.status && JSON.stringify([a.state, a.context ?? null]) === JSON.stringify([b.state, b.context ?? null]);

export class HubState {
  readonly nodes = new Map<string, NodeView>();
  /** By node, then actor id. */
  private readonly actors = new Map<string, Map<string, InspectEvent>>();
  private actorCount = 0;
  private readonly transitions = new Map<string, TransitionEvent[]>();
  readonly events: TimelineEvent[] = [];
  readonly samples: Sample[] = [];
  /** Nodes a poll listed (NameServers, replicas): never forgotten while listed. */
  private readonly polled = new Set<string>();
  readonly dropped: Record<DropReason, number> = { nodes: 0, actors: 0, size: 0, spoofed: 0, malformed: 0 };

  constructor(readonly limits: HubLimits = DEFAULT_HUB_LIMITS) {}

  drop(reason: DropReason): void {
    this.dropped[reason]++;
  }

  /** Records a node a poll found or an event named; false when the node bound is reached. */
  touch(name: string, now: number, fields: Partial<NodeView> = {}): boolean {
    const known = this.nodes.get(name);
    if (!known) {
      if (this.nodes.size >= this.limits.maxNodes) return false;
      this.nodes.set(name, { name, kind: fields.kind ?? "producer", ...fields, lastSeen: now });
      return true;
    }
    Object.assign(known, fields, { lastSeen: Math.max(known.lastSeen, now) });
    return true;
  }

  /** The nodes the last poll listed (server nodes and the consumers their groups name). */
  setPolled(names: Iterable<string>): void {
    this.polled.clear();
    for (const n of names) this.polled.add(n);
  }

  /**
   * An actor's latest event, live: "repeat" when it says again what was
   * known (a consumer repeats its state for late readers), which is no
   * transition; else the bound it would pass, if any (the caller counts it).
   */
  inspect(e: InspectEvent, now: number): DropReason | "repeat" | undefined {
    const before = this.actors.get(e.node)?.get(e.actor);
    const refused = this.putActor(e, now);
    if (refused) return refused;
    if (before && sameView(before, e)) return "repeat";
    const list = this.transitions.get(e.node) ?? [];
    // The state it left, which a rbus.machines answer may have told and no transition did.
    list.push(before ? { ...e, from: before.state } : e);
    if (list.length > this.limits.transitionsPerNode) list.splice(0, list.length - this.limits.transitionsPerNode);
    this.transitions.set(e.node, list);
    return undefined;
  }

  /**
   * What a node answered on rbus.machines: its actors now, replacing what
   * was known of it, except where a live event came since (it is newer).
   */
  replaceActors(node: string, events: InspectEvent[], now: number): void {
    const old = this.actors.get(node) ?? new Map<string, InspectEvent>();
    const answeredAt = events.reduce((t, e) => Math.max(t, e.at), 0);
    this.actorCount -= old.size;
    this.actors.delete(node);
    const keep = [...old.values()].filter((e) => e.at > answeredAt);
    for (const e of [...events, ...keep]) {
      const newer = old.get(e.actor);
      const refused = this.putActor(newer && newer.at > e.at ? newer : e, now);
      if (refused) this.drop(refused);
    }
  }

  private putActor(e: InspectEvent, now: number): DropReason | undefined {
    const first = !this.nodes.has(e.node);
    if (!this.touch(e.node, now, first ? { kind: kindOfMachine(e.machine) } : {})) return "nodes";
    const view = this.nodes.get(e.node)!;
    if (e.machine === "rebalance") {
      if (view.kind === "producer") view.kind = "consumer";
      const group = e.context?.consumerGroup;
      if (typeof group === "string") view.consumerGroup = group;
    }
    if (!this.actors.get(e.node)?.has(e.actor)) {
      if (this.actorCount >= this.limits.maxActors && !this.evictStopped()) return "actors";
      this.actorCount++;
    }
    let byActor = this.actors.get(e.node);
    if (!byActor) this.actors.set(e.node, (byActor = new Map()));
    byActor.set(e.actor, e);
    return undefined;
  }

  /** Makes room by forgetting one actor that has stopped; false when every actor known is running. */
  private evictStopped(): boolean {
    for (const [node, byActor] of this.actors) {
      for (const [id, e] of byActor) {
        if (e.status === "active") continue;
        byActor.delete(id);
        if (byActor.size === 0) this.actors.delete(node);
        this.actorCount--;
        return true;
      }
    }
    return false;
  }

  actorsOf(node: string): InspectEvent[] {
    return [...(this.actors.get(node)?.values() ?? [])];
  }

  get actorTotal(): number {
    return this.actorCount;
  }

  event(e: TimelineEvent): void {
    this.events.push(e);
    if (this.events.length > this.limits.maxEvents) this.events.splice(0, this.events.length - this.limits.maxEvents);
  }

  sample(s: Sample): void {
    this.samples.push(s);
    const oldest = s.at - this.limits.sampleWindowMs;
    let cut = 0;
    while (cut < this.samples.length && this.samples[cut]!.at < oldest) cut++;
    if (cut) this.samples.splice(0, cut);
  }

  /** Forgets nodes no poll lists and that have been quiet too long, with their actors and transitions. */
  forgetQuiet(now: number): void {
    for (const [name, view] of this.nodes) {
      if (this.polled.has(name) || now - view.lastSeen < this.limits.forgetAfterMs) continue;
      this.nodes.delete(name);
      this.actorCount -= this.actors.get(name)?.size ?? 0;
      this.actors.delete(name);
      this.transitions.delete(name);
    }
  }

  snapshot(base: Pick<DashboardSnapshot, "at" | "prefix" | "cluster">): DashboardSnapshot {
    return {
      ...base,
      nodes: [...this.nodes.values()].map((n) => ({ ...n })),
      actors: [...this.actors.values()].flatMap((m) => [...m.values()]),
      transitions: Object.fromEntries([...this.transitions].map(([k, v]) => [k, [...v]])),
      events: [...this.events],
      samples: [...this.samples],
    };
  }
}
