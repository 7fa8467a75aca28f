// One consumer's place in its group (RocketMQ's RebalanceImpl, as a machine).
//
//   running ─┬─ heartbeat: every heartbeatInterval → `heartbeat`
//            └─ balance:   joining ─refresh→ balanced ⇄ rebalancing
//                                              ⇅ every refreshInterval
//                                           refreshing
//   STOP → leaving (release every owned queue) → unregistering (`leave`) → stopped
//
// The machine decides which queues this member owns; the consumer does the
// work through named effects: `refresh` (heartbeat the brokers, fetch
// routes; resolves with members and queues), `release` (stop reading the
// queues and commit their offsets; the machine gives a queue up only after
// this resolves), `acquire` (start reading), `heartbeat`, `leave`.
// Membership and routes arrive as events at any time; whenever what this
// member should own differs from what it owns, it rebalances: release
// first, then acquire, then check again (events that came meanwhile count).
// It reads no clock: time enters as named delays.
import { assign, fromPromise, setup } from "xstate";
import type { ConsumeMode } from "../src/protocol/messages.js";
import { queueRefKey, sortMembers, sortQueues, strategies, type QueueRef, type StrategyName } from "./allocate.js";

export type { QueueRef } from "./allocate.js";

export interface RebalanceInput {
  clientId: string;
  mode: ConsumeMode;
  strategy?: StrategyName;
  /** Periodic re-check of members and routes (RocketMQ: 20 s). */
  refreshMs: number;
  /** Client heartbeat to the brokers (keeps the membership alive). */
  heartbeatMs: number;
  /** Wait before trying to join again after a failed first refresh. */
  retryMs: number;
}

export interface RebalanceContext extends Required<RebalanceInput> {
  /** Live members, sorted; undefined until known. */
  members: string[] | undefined;
  /** Readable queues per subscribed topic, sorted. */
  topics: Record<string, QueueRef[]>;
  owned: QueueRef[];
  /** Queues being released by the rebalance in progress. */
  releasing: QueueRef[];
  /** Members the current ownership was computed from; undefined before the first rebalance. */
  balancedMembers: string[] | undefined;
  /** What the last rebalance acquired, and which of those a live member held before (a handover). */
  acquired: QueueRef[];
  handover: QueueRef[];
}

/** What `refresh` resolves with; a field left out keeps what the machine knows. */
export interface RefreshResult {
  members?: string[];
  topics?: Record<string, QueueRef[]>;
}

export interface AcquireParams {
  queues: QueueRef[];
  /** Queues another live member owned until now: it may still be committing them. */
  handover: QueueRef[];
}

export type RebalanceEvent =
  | { type: "MEMBERS_CHANGED"; members: string[] }
  | { type: "ROUTE_CHANGED"; topic: string; queues: QueueRef[] }
  /** Someone's membership changed (a broker said so): heartbeat now to learn the members. */
  | { type: "PROBE" }
  | { type: "STOP" };

/** The queues `me` should own: its share of every topic (all of them when broadcasting). */
export function planOwnership(
  ctx: Pick<RebalanceContext, "clientId" | "mode" | "strategy" | "topics">,
  members: readonly string[] | undefined,
): QueueRef[] {
  const out: QueueRef[] = [];
  for (const topic of Object.keys(ctx.topics).sort()) {
    const queues = ctx.topics[topic] ?? [];
    if (ctx.mode === "broadcasting") out.push(...queues);
    else if (members) out.push(...strategies[ctx.strategy](ctx.clientId, members, queues));
  }
  return out;
}

const keys = (qs: readonly QueueRef[]) => new Set(qs.map(queueRefKey));
const minus = (a: readonly QueueRef[], b: readonly QueueRef[]) => {
  const drop = keys(b);
  return a.filter((q) => !drop.has(queueRefKey(q)));
};
const sameQueues = (a: readonly QueueRef[], b: readonly QueueRef[]) =>
  a.length === b.length && minus(a, b).length === 0;

/** Who owned each queue under `members` (same topics), for handover detection. */
function owners(ctx: RebalanceContext, members: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of members) for (const q of planOwnership({ ...ctx, clientId: m }, members)) out.set(queueRefKey(q), m);
  return out;
}

/** `acquire` with what `settle` just decided (params are resolved after the assign before them). */
const acquireSettled = {
  type: "acquire",
  params: ({ context }: { context: RebalanceContext }): AcquireParams => ({ queues: context.acquired, handover: context.handover }),
} as const;

export const rebalanceMachine = setup({
  types: {
    input: {} as RebalanceInput,
    context: {} as RebalanceContext,
    events: {} as RebalanceEvent,
  },
  actors: {
    refresh: fromPromise<RefreshResult>(async () => {
      throw new Error("refresh is provided by the consumer");
    }),
    release: fromPromise<void, { queues: QueueRef[] }>(async () => {
      throw new Error("release is provided by the consumer");
    }),
    leave: fromPromise<void>(async () => {
      throw new Error("leave is provided by the consumer");
    }),
  },
  actions: {
    heartbeat: () => {},
    acquire: (_, _params: AcquireParams) => {},
    setMembers: assign(({ event }) =>
      event.type === "MEMBERS_CHANGED" ? { members: sortMembers(event.members) } : {},
    ),
    setRoute: assign(({ context, event }) =>
      event.type === "ROUTE_CHANGED" ? { topics: { ...context.topics, [event.topic]: sortQueues(event.queues) } } : {},
    ),
    applyRefresh: assign(({ context, event }) => {
      const out = (event as unknown as { output: RefreshResult }).output;
      const topics = { ...context.topics };
      for (const [t, qs] of Object.entries(out.topics ?? {})) topics[t] = sortQueues(qs);
      return { topics, members: out.members ? sortMembers(out.members) : context.members };
    }),
    plan: assign(({ context }) => ({ releasing: minus(context.owned, planOwnership(context, context.members)) })),
    /** After the release: own what is still planned, plus what is newly planned. */
    settle: assign(({ context }) => {
      const target = planOwnership(context, context.members);
      const kept = minus(context.owned, context.releasing);
      const acquired = minus(target, kept);
      const members = context.members ?? [];
      const before = context.balancedMembers ?? members.filter((m) => m !== context.clientId);
      const prev = context.mode === "clustering" ? owners(context, before) : new Map<string, string>();
      const handover = acquired.filter((q) => {
        const owner = prev.get(queueRefKey(q));
        return owner !== undefined && owner !== context.clientId && members.includes(owner);
      });
      // A queue released and planned again (members flapped) is acquired
      // afresh; a kept one that is no longer planned stays owned until the
      // next round releases it (never dropped without its commit).
      return {
        owned: sortQueues([...kept, ...acquired]),
        releasing: [],
        acquired,
        handover,
        balancedMembers: context.members,
      };
    }),
  },
  guards: {
    assignmentChanged: ({ context }) => !sameQueues(planOwnership(context, context.members), context.owned),
  },
  delays: {
    heartbeatInterval: ({ context }) => context.heartbeatMs,
    refreshInterval: ({ context }) => context.refreshMs,
    retryDelay: ({ context }) => context.retryMs,
  },
}).createMachine({
  id: "rebalance",
  context: ({ input }) => ({
    strategy: "averagely" as const,
    ...input,
    members: undefined,
    topics: {},
    owned: [],
    releasing: [],
    balancedMembers: undefined,
    acquired: [],
    handover: [],
  }),
  initial: "running",
  states: {
    running: {
      type: "parallel",
      on: {
        MEMBERS_CHANGED: { actions: "setMembers" },
        ROUTE_CHANGED: { actions: "setRoute" },
        PROBE: { actions: "heartbeat" },
        STOP: "leaving",
      },
      states: {
        heartbeat: {
          initial: "waiting",
          states: {
            waiting: { after: { heartbeatInterval: { target: "waiting", reenter: true, actions: "heartbeat" } } },
          },
        },
        balance: {
          initial: "joining",
          states: {
            joining: {
              invoke: {
                src: "refresh",
                onDone: { target: "balanced", actions: "applyRefresh" },
                onError: "retrying",
              },
            },
            retrying: { after: { retryDelay: "joining" } },
            balanced: {
              always: { guard: "assignmentChanged", target: "rebalancing" },
              after: { refreshInterval: "refreshing" },
            },
            refreshing: {
              invoke: {
                src: "refresh",
                onDone: { target: "balanced", actions: "applyRefresh" },
                onError: "balanced",
              },
            },
            rebalancing: {
              entry: "plan",
              invoke: {
                src: "release",
                input: ({ context }) => ({ queues: context.releasing }),
                onDone: { target: "balanced", actions: ["settle", acquireSettled] },
                // A failed commit is the consumer's to log; the queue is given up either way.
                onError: { target: "balanced", actions: ["settle", acquireSettled] },
              },
            },
          },
        },
      },
    },
    leaving: {
      invoke: {
        src: "release",
        input: ({ context }) => ({ queues: context.owned }),
        onDone: { target: "unregistering", actions: assign({ owned: [] }) },
        onError: { target: "unregistering", actions: assign({ owned: [] }) },
      },
    },
    unregistering: {
      invoke: { src: "leave", onDone: "stopped", onError: "stopped" },
    },
    stopped: { type: "final" },
  },
});
