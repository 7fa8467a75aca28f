// A NameServer's broker table. It spawns one liveness actor per broker
// replica, ticks them all on every scan (RocketMQ: every 10 s), and keeps the
// liveness they report beside each registration, so that route and cluster
// queries read one snapshot. Publishing a change is a named effect
// (`publishLiveness`) that the actor file provides. While the NameServer
// is disconnected from NATS (DISCONNECTED … RECONNECTED) its liveness
// actors are paused: the silence is its own, not the brokers'.
//
// The table is a Map changed in place, with an index by group: a
// registration costs the same with ten brokers registered or ten thousand
// (copying the table per heartbeat made a flood of fake registrations
// quadratic). Nothing outside the actor keeps a snapshot of it.
import { enqueueActions, setup, type ActorRefFrom } from "xstate";
import type { BrokerRegistration, Liveness } from "../src/protocol/types.js";
import { livenessMachine, type LivenessChanged } from "./liveness.js";

export interface NameServerTimings {
  scanIntervalMs: number;
  suspectAfterMs: number;
  deadAfterMs: number;
  forgetAfterMs: number;
}

/** RocketMQ's defaults: scan every 10 s, expire after 120 s of silence. */
export const DEFAULT_NAMESERVER_TIMINGS: NameServerTimings = {
  scanIntervalMs: 10_000,
  suspectAfterMs: 45_000,
  deadAfterMs: 120_000,
  forgetAfterMs: 600_000,
};

export interface BrokerEntry {
  registration: BrokerRegistration;
  liveness: Liveness;
  registeredAt: number;
  lastHeartbeatAt: number;
  /** The verified session's fingerprint (the actor checks sessions before REGISTER). */
  fingerprint: string;
  ref: ActorRefFrom<typeof livenessMachine>;
}

export interface NameServerContext {
  id: string;
  timings: NameServerTimings;
  /** "<group>.<replica>" → entry. */
  brokers: Map<string, BrokerEntry>;
  /** group → its replicas' entries, by replica id. */
  groups: Map<string, Map<number, BrokerEntry>>;
  /** False between DISCONNECTED and RECONNECTED. */
  connected: boolean;
}

export type NameServerEvent =
  /** `at` is the wall-clock receive time, kept for display only. */
  | { type: "REGISTER"; registration: BrokerRegistration; fingerprint: string; at: number }
  | { type: "UNREGISTER"; group: string; replica: number }
  /** The NATS connection dropped, or came back. */
  | { type: "DISCONNECTED" }
  | { type: "RECONNECTED" }
  | LivenessChanged;

export const brokerKey = (group: string, replica: number) => `${group}.${replica}`;

function put(c: NameServerContext, key: string, entry: BrokerEntry): void {
  c.brokers.set(key, entry);
  const { group, replica } = entry.registration;
  let replicas = c.groups.get(group);
  if (!replicas) c.groups.set(group, (replicas = new Map()));
  replicas.set(replica, entry);
}

function remove(c: NameServerContext, key: string, entry: BrokerEntry): void {
  c.brokers.delete(key);
  const { group, replica } = entry.registration;
  const replicas = c.groups.get(group);
  replicas?.delete(replica);
  if (replicas?.size === 0) c.groups.delete(group);
}

export const nameServerMachine = setup({
  types: {
    input: {} as { id: string; timings: NameServerTimings },
    context: {} as NameServerContext,
    events: {} as NameServerEvent,
  },
  actors: { liveness: livenessMachine },
  delays: {
    scanInterval: ({ context }) => context.timings.scanIntervalMs,
  },
  actions: {
    /** Provided by the actor: publish on rbus.events.liveness.<group>.<replica>. */
    publishLiveness: (_, _change: LivenessChanged) => {},
    register: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "REGISTER") return;
      const { registration: reg, fingerprint, at } = event;
      const key = brokerKey(reg.group, reg.replica);
      const known = context.brokers.get(key);
      if (known) {
        // A new session here is the replica restarted: the actor verified it.
        put(context, key, { ...known, registration: reg, fingerprint, lastHeartbeatAt: at });
        enqueue.sendTo(known.ref, { type: "HEARTBEAT" });
        return;
      }
      enqueue.assign(({ context: c, spawn }) => {
        const ref = spawn("liveness", { id: `liveness-${key}`, input: { group: reg.group, replica: reg.replica, ...c.timings } });
        put(c, key, { registration: reg, liveness: "alive", registeredAt: at, lastHeartbeatAt: at, fingerprint, ref });
        return {};
      });
    }),
    unregister: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "UNREGISTER") return;
      const entry = context.brokers.get(brokerKey(event.group, event.replica));
      if (entry) enqueue.sendTo(entry.ref, { type: "UNREGISTER" });
    }),
    applyLiveness: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "LIVENESS_CHANGED") return;
      const key = brokerKey(event.group, event.replica);
      const entry = context.brokers.get(key);
      if (!entry) return;
      if (event.to === "removed") {
        remove(context, key, entry);
        enqueue.stopChild(entry.ref);
      } else {
        put(context, key, { ...entry, liveness: event.to });
      }
    }),
    connection: enqueueActions(({ context, event, enqueue }) => {
      const connected = event.type === "RECONNECTED";
      if (connected === context.connected) return;
      enqueue.assign({ connected });
      for (const entry of context.brokers.values()) enqueue.sendTo(entry.ref, { type: connected ? "RESUME" : "PAUSE" });
    }),
    scan: enqueueActions(({ context, enqueue }) => {
      for (const entry of context.brokers.values()) {
        enqueue.sendTo(entry.ref, { type: "TICK", elapsedMs: context.timings.scanIntervalMs });
      }
    }),
  },
}).createMachine({
  id: "nameserver",
  context: ({ input }) => ({ id: input.id, timings: input.timings, brokers: new Map(), groups: new Map(), connected: true }),
  initial: "serving",
  states: {
    serving: {
      on: {
        REGISTER: { actions: "register" },
        UNREGISTER: { actions: "unregister" },
        DISCONNECTED: { actions: "connection" },
        RECONNECTED: { actions: "connection" },
        LIVENESS_CHANGED: {
          actions: [{ type: "publishLiveness", params: ({ event }) => event }, "applyLiveness"],
        },
      },
      after: {
        scanInterval: { target: "serving", reenter: true, actions: "scan" },
      },
    },
  },
});
