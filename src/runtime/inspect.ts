// Publishes what the state machines of a node do on rbus.inspect.<node>,
// for the `rbus inspect` command and dashboards: one JSON event each time
// an actor starts, changes state or stops. Context updates that leave the
// state as it was (a liveness actor counting silence) are not sent. The
// inspector keeps the latest event of every live actor, so a server can
// answer rbus.machines.<node> and a client can say it again now and then
// (`refresh`) for readers that start late. RBUS_INSPECT (inspect-mode.ts)
// turns it off or adds Stately's inspector.
import type { NatsConnection } from "@nats-io/transport-node";
import type { InspectionEvent } from "xstate";
import type { Timers } from "../client/batcher.js";
import { encodeJson, subjects } from "../protocol/index.js";
import { inspectMode, InspectMode } from "./inspect-mode.js";
import { statelyObserver } from "./inspect-stately.js";
import { objectWith } from "./subscribe.js";

/** Published on rbus.inspect.<node>. */
export interface InspectEvent {
  node: string;
  /** The actor's id in its system, e.g. "liveness-broker-a.0". */
  actor: string;
  /** The machine's id, e.g. "liveness". */
  machine: string;
  /** The state value, as XState gives it (a string, or an object for parallel and nested states). */
  state: unknown;
  status: string;
  /** The event that led there. */
  event: string;
  at: number;
  /** What of the actor's context a reader needs beside its state (a replica's term and master), when its node says. */
  context?: Record<string, unknown>;
  /** Present on a client's periodic repeat of an actor's current event (nothing changed; `at` is still when it did). */
  refresh?: true;
}

/** Answered on rbus.machines.<node>: the latest event of every actor the node runs now. */
export interface MachinesNow {
  node: string;
  at: number;
  actors: InspectEvent[];
  /** Present when the node runs with RBUS_INSPECT=off: it watches no actor, so `actors` is empty. */
  off?: true;
}

/** Picks what of an actor's context goes with its state; undefined: none. A change in it is published like a change of state. */
export type ContextSummary = (machine: string, context: unknown) => Record<string, unknown> | undefined;

const inspectEventFields = objectWith<InspectEvent>("node", "actor", "machine", "status", "event");

/** An InspectEvent as a reader of rbus.inspect.> must find it; throws for anything else. */
export function isInspectEvent(v: unknown): InspectEvent {
  const e = inspectEventFields(v);
  if (typeof e.at !== "number" || !(Math.abs(e.at) <= 8.64e15)) throw new TypeError('field "at" is not a time');
  return e;
}

interface Inspectable {
  id: string;
  sessionId: string;
  logic?: { id?: string };
}

export interface InspectorOptions {
  /** What of each actor's context goes with its state. */
  summary?: ContextSummary;
  /** Publish every live actor's current event again this often, marked `refresh` (clients: they answer no rbus.machines). */
  refreshMs?: number;
  /** The refresh timer (real, unref'd, unless a test moves time by hand). */
  timers?: Timers;
  /** Instead of RBUS_INSPECT. */
  mode?: InspectMode;
}

/** One node's view of its actors: pass `observer` as createActor's `inspect` to every actor of the node. */
export interface NodeInspector {
  readonly node: string;
  readonly mode: InspectMode;
  /** undefined under RBUS_INSPECT=off: actors are created with no inspector at all. */
  readonly observer: ((e: InspectionEvent) => void) | undefined;
  /** The latest event of every actor that runs now (one that stopped is dropped). */
  current(): InspectEvent[];
  /** The answer to rbus.machines.<node>. */
  machinesNow(): MachinesNow;
  /** Stops the refresh timer. */
  close(): void;
}

const unrefTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export function natsInspector(nc: NatsConnection, node: string, prefix?: string, opts: InspectorOptions = {}): NodeInspector {
  const mode = opts.mode ?? inspectMode();
  const latest = new Map<string, { key: string; event: InspectEvent }>();
  const current = () => [...latest.values()].map((l) => l.event);
  const base = { node, mode, current, machinesNow: (): MachinesNow => ({ node, at: Date.now(), actors: current() }) };
  if (mode === InspectMode.off) {
    return { ...base, observer: undefined, machinesNow: () => ({ node, at: Date.now(), actors: [], off: true }), close: () => {} };
  }
  // Client ids may hold characters a subject token cannot.
  const subject = subjects(prefix).inspect(node.replace(/[^A-Za-z0-9_-]/g, "_"));
  const publish = (event: InspectEvent) => {
    try {
      nc.publish(subject, encodeJson(event));
    } catch {
      // closed or draining: inspection is best effort and must never break the actor
    }
  };
  const summary = opts.summary;
  const toNats = (e: InspectionEvent) => {
    if (e.type !== "@xstate.snapshot") return;
    const snap = e.snapshot as { value?: unknown; status?: string; context?: unknown };
    if (snap.value === undefined) return; // not a state machine (promise actors and the like)
    const ref = e.actorRef as unknown as Inspectable;
    const context = summary?.(ref.logic?.id ?? ref.id, snap.context);
    const key = JSON.stringify([snap.value, snap.status, context]);
    if (latest.get(ref.sessionId)?.key === key) return;
    const event: InspectEvent = {
      node,
      actor: ref.id,
      machine: ref.logic?.id ?? ref.id,
      state: snap.value,
      status: snap.status ?? "active",
      event: e.event.type,
      at: Date.now(),
      ...(context ? { context } : {}),
    };
    if (snap.status === "active") latest.set(ref.sessionId, { key, event });
    else latest.delete(ref.sessionId);
    publish(event);
  };
  const toStately = mode === InspectMode.stately ? statelyObserver() : undefined;
  const observer = toStately
    ? (e: InspectionEvent) => {
        toNats(e);
        toStately(e);
      }
    : toNats;

  const timers = opts.timers ?? unrefTimers;
  let timer: unknown;
  const refresh = () => {
    for (const event of current()) publish({ ...event, refresh: true });
    timer = timers.set(refresh, opts.refreshMs!);
  };
  if (opts.refreshMs !== undefined && opts.refreshMs > 0) timer = timers.set(refresh, opts.refreshMs);
  return {
    ...base,
    observer,
    close: () => {
      if (timer !== undefined) timers.clear(timer);
      timer = undefined;
    },
  };
}
