// One broker replica as a NameServer sees it: alive → suspect → dead.
//
// Time only moves when the NameServer ticks it (its scan, every scanInterval),
// as etcd raft's tickElection: the machine reads no clock and owns no timer.
// Silence is counted in whole scans after the first scan that follows a
// heartbeat, so a broker is declared dead after between deadAfter and
// deadAfter + scanInterval of real silence — never early. RocketMQ's
// RouteInfoManager.scanNotActiveBroker has the same window (120 s + 10 s).
//
// A NameServer cut off from NATS hears nobody, through no fault of the
// brokers: while it is PAUSED its scans count no silence, and after RESUME
// the count starts again at the next scan, as after a heartbeat, which
// gives the brokers one scan interval to re-register.
import { assign, sendParent, setup } from "xstate";
import type { Liveness } from "../src/protocol/types.js";

export interface LivenessInput {
  group: string;
  replica: number;
  suspectAfterMs: number;
  deadAfterMs: number;
  /** A dead replica is forgotten (leaves the cluster table) after this much silence. */
  forgetAfterMs: number;
}

export interface LivenessContext extends LivenessInput {
  /** Silence counted so far, in ms of scans. */
  silentMs: number;
  /** True until the first scan after a heartbeat: that scan starts the count. */
  fresh: boolean;
  /** The state last reported to the parent. */
  reported: Liveness | "unknown";
  /** The NameServer is disconnected from NATS: ticks count nothing. */
  paused: boolean;
}

export type LivenessEvent =
  | { type: "HEARTBEAT" }
  | { type: "TICK"; elapsedMs: number }
  | { type: "PAUSE" }
  | { type: "RESUME" }
  | { type: "UNREGISTER" };

/** Sent to the parent (the NameServer) on every state change. */
export interface LivenessChanged {
  type: "LIVENESS_CHANGED";
  group: string;
  replica: number;
  from: Liveness | "unknown";
  to: Liveness | "removed";
  silentMs: number;
}

/** Silence once this event is counted. */
function silenceAfter(context: LivenessContext, event: LivenessEvent): number {
  if (event.type !== "TICK" || context.fresh) return context.silentMs;
  return context.silentMs + event.elapsedMs;
}

type Reported = LivenessChanged["to"];

/** Entry effects of a state: tell the parent, then remember what was told. */
const enter = (to: Reported) => [
  { type: "report", params: { to } },
  { type: "remember", params: { to } },
] as const;

export const livenessMachine = setup({
  types: {
    input: {} as LivenessInput,
    context: {} as LivenessContext,
    events: {} as LivenessEvent,
  },
  actions: {
    report: sendParent(({ context }, params: { to: Reported }): LivenessChanged => ({
      type: "LIVENESS_CHANGED",
      group: context.group,
      replica: context.replica,
      from: context.reported,
      to: params.to,
      silentMs: context.silentMs,
    })),
    remember: assign((_, params: { to: Reported }) => ({ reported: params.to === "removed" ? "dead" : params.to })),
    heard: assign({ silentMs: 0, fresh: true }),
    countSilence: assign(({ context, event }) => ({ silentMs: silenceAfter(context, event), fresh: false })),
    pause: assign({ paused: true }),
    resume: assign({ paused: false, fresh: true }),
  },
  guards: {
    paused: ({ context }) => context.paused,
    silentPastSuspect: ({ context, event }) => silenceAfter(context, event) >= context.suspectAfterMs,
    silentPastDead: ({ context, event }) => silenceAfter(context, event) >= context.deadAfterMs,
    silentPastForget: ({ context, event }) => silenceAfter(context, event) >= context.forgetAfterMs,
  },
}).createMachine({
  id: "liveness",
  context: ({ input }) => ({ ...input, silentMs: 0, fresh: true, reported: "unknown" as const, paused: false }),
  initial: "alive",
  on: {
    UNREGISTER: { target: ".removed" },
    PAUSE: { actions: "pause" },
    RESUME: { actions: "resume" },
  },
  states: {
    alive: {
      entry: enter("alive"),
      on: {
        HEARTBEAT: { actions: "heard" },
        TICK: [
          { guard: "paused" },
          { guard: "silentPastDead", target: "dead", actions: "countSilence" },
          { guard: "silentPastSuspect", target: "suspect", actions: "countSilence" },
          { actions: "countSilence" },
        ],
      },
    },
    suspect: {
      entry: enter("suspect"),
      on: {
        HEARTBEAT: { target: "alive", actions: "heard" },
        TICK: [{ guard: "paused" }, { guard: "silentPastDead", target: "dead", actions: "countSilence" }, { actions: "countSilence" }],
      },
    },
    dead: {
      entry: enter("dead"),
      on: {
        HEARTBEAT: { target: "alive", actions: "heard" },
        TICK: [{ guard: "paused" }, { guard: "silentPastForget", target: "removed", actions: "countSilence" }, { actions: "countSilence" }],
      },
    },
    removed: { type: "final", entry: enter("removed") },
  },
});
