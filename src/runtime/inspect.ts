// Publishes what the state machines of a node do on rbus.inspect.<node>,
// for the `rbus inspect` command and dashboards: one JSON event each time
// an actor starts, changes state or stops. Context updates that leave the
// state as it was (a liveness actor counting silence) are not sent.
import type { NatsConnection } from "@nats-io/transport-node";
import type { InspectionEvent } from "xstate";
import { encodeJson, subjects } from "../protocol/index.js";
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
}

/** Answered on rbus.machines.<node>: the latest event of every actor the node runs now. */
export interface MachinesNow {
  node: string;
  at: number;
  actors: InspectEvent[];
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

export function natsInspector(nc: NatsConnection, node: string, prefix?: string, summary?: ContextSummary): (e: InspectionEvent) => void {
  // Client ids may hold characters a subject token cannot.
  const subject = subjects(prefix).inspect(node.replace(/[^A-Za-z0-9_-]/g, "_"));
  const last = new Map<string, string>();
  return (e) => {
    if (e.type !== "@xstate.snapshot") return;
    const snap = e.snapshot as { value?: unknown; status?: string; context?: unknown };
    if (snap.value === undefined) return; // not a state machine (promise actors and the like)
    const ref = e.actorRef as unknown as Inspectable;
    const context = summary?.(ref.logic?.id ?? ref.id, snap.context);
    const key = JSON.stringify([snap.value, snap.status, context]);
    if (last.get(ref.sessionId) === key) return;
    if (snap.status === "active") last.set(ref.sessionId, key);
    else last.delete(ref.sessionId);
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
    try {
      nc.publish(subject, encodeJson(event));
    } catch {
      // closed or draining: inspection is best effort and must never break the actor
    }
  };
}
