// A broker replica's registration with the NameServers (RocketMQ's
// BrokerController.registerBrokerAll): register at start, again every
// heartbeat interval, at once when the NATS connection comes back, when a
// NameServer says hello (it started, or reconnected), when the topic
// table changes or the replica's role or term does, and unregister on a
// clean stop. One registration is one request that every NameServer answers; `register` resolves with the ids
// of those that did. Zero answers counts as a failure and is retried with
// backoff.
//
// After a reconnect one answer is not enough: NameServers come back from
// a NATS restart one by one, and one that resubscribes a moment after the
// broker's registration would hear nothing until the next heartbeat. So
// every NameServer known from earlier acks is `pending` until it acks
// again; the broker retries (backoff reset by the reconnect) until none is
// pending, or until the backoff reaches the heartbeat interval, when the
// ones still silent are forgotten (stopped for good; a hello brings them back).
//
// A topic change registers at once; more topic changes while that
// registration is in flight are folded into one registration sent when it
// ends: a thousand topics created in a row cost a few registrations, not a
// thousand (each as large as the topic table, and each counted against
// the NameServers' rate limit).
import { assign, fromPromise, setup } from "xstate";

export interface RegistrationInput {
  heartbeatIntervalMs: number;
  /** First retry delay after a failed registration; doubles up to the heartbeat interval. */
  retryBaseMs: number;
}

export interface RegistrationContext extends RegistrationInput {
  /** NameServers that answered the last registration. */
  answered: number;
  /** Failed (or, after a reconnect, incomplete) registrations in a row. */
  failures: number;
  /** NameServer ids that have acknowledged a registration. */
  known: string[];
  /** Known NameServers that have not acknowledged since the last reconnect or hello. */
  pending: string[];
  /** The registration in flight went out for a topic change. */
  forTopics: boolean;
  /** The topic table changed again while it was in flight: send another when it ends. */
  dirty: boolean;
}

export interface RegisterOutput {
  /** Ids of the NameServers that acknowledged. */
  nameServers: string[];
}

export type RegistrationEvent =
  | { type: "RECONNECTED" }
  /** A NameServer asked brokers to register again (rbus.ns.hello). */
  | { type: "REREGISTER"; nameServer: string }
  | { type: "TOPICS_CHANGED" }
  /** The replica became master or slave, or its term moved: NameServers must route by it at once. */
  | { type: "ROLE_CHANGED" }
  | { type: "STOP" };

type Done = { output: RegisterOutput };
const output = (event: unknown) => (event as Done).output;

function retryDelay(context: RegistrationContext, failures: number): number {
  return Math.min(context.heartbeatIntervalMs, context.retryBaseMs * 2 ** Math.min(failures - 1, 16));
}

const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
const minus = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));

export const registrationMachine = setup({
  types: {
    input: {} as RegistrationInput,
    context: {} as RegistrationContext,
    events: {} as RegistrationEvent,
  },
  actors: {
    /** Provided by the broker actor: one request, every NameServer's reply collected. */
    register: fromPromise<RegisterOutput>(async () => {
      throw new Error("register is provided by the broker actor");
    }),
    unregister: fromPromise<{ answered: number }>(async () => {
      throw new Error("unregister is provided by the broker actor");
    }),
  },
  delays: {
    heartbeatInterval: ({ context }) => context.heartbeatIntervalMs,
    retryDelay: ({ context }) => retryDelay(context, context.failures),
  },
  guards: {
    dirty: ({ context }) => context.dirty,
    forTopics: ({ context }) => context.forTopics,
    someoneAnswered: ({ event }) => output(event).nameServers.length > 0,
    /** Some pending NameServer did not answer, and retrying is still sooner than the next heartbeat. */
    stillPending: ({ context, event }) =>
      minus(context.pending, output(event).nameServers).length > 0 && retryDelay(context, context.failures + 1) < context.heartbeatIntervalMs,
  },
  actions: {
    succeeded: assign(({ context, event }) => {
      const acked = output(event).nameServers;
      // Those still pending stayed silent through every retry: forget them.
      return { answered: acked.length, failures: 0, known: union(minus(context.known, context.pending), acked), pending: [] };
    }),
    partly: assign(({ context, event }) => {
      const acked = output(event).nameServers;
      return { answered: acked.length, failures: context.failures + 1, known: union(context.known, acked), pending: minus(context.pending, acked) };
    }),
    failed: assign(({ context }) => ({ answered: 0, failures: context.failures + 1 })),
    markDirty: assign({ dirty: true }),
    clean: assign({ dirty: false }),
    topicRound: assign({ forTopics: true, dirty: false }),
    ended: assign({ forTopics: false }),
    /** The connection is back: every known NameServer must hear from us again, and the backoff starts over. */
    reconnected: assign(({ context }) => ({ failures: 0, pending: context.known })),
    hello: assign(({ context, event }) => {
      const ns = (event as { nameServer: string }).nameServer;
      return { failures: 0, known: union(context.known, [ns]), pending: union(context.pending, [ns]) };
    }),
  },
}).createMachine({
  id: "registration",
  context: ({ input }) => ({ ...input, answered: 0, failures: 0, known: [], pending: [], forTopics: false, dirty: false }),
  initial: "registering",
  on: {
    STOP: ".unregistering",
  },
  states: {
    registering: {
      invoke: {
        src: "register",
        onDone: [
          { guard: "dirty", target: "registering", reenter: true, actions: "clean" },
          { guard: "stillPending", target: "retrying", actions: ["partly", "ended"] },
          { guard: "someoneAnswered", target: "registered", actions: ["succeeded", "ended"] },
          { target: "retrying", actions: ["failed", "ended"] },
        ],
        onError: [
          { guard: "dirty", target: "registering", reenter: true, actions: "clean" },
          { target: "retrying", actions: ["failed", "ended"] },
        ],
      },
      on: {
        // A registration in flight carries the old table: a fresh one goes at once, and
        // further changes while that one is in flight wait for it to end.
        TOPICS_CHANGED: [{ guard: "forTopics", actions: "markDirty" }, { target: "registering", reenter: true, actions: "topicRound" }],
        // A role change must reach the NameServers at once; a registration that went out
        // before the connection dropped may be lost: send a fresh one now.
        ROLE_CHANGED: { target: "registering", reenter: true, actions: ["clean", "ended"] },
        RECONNECTED: { target: "registering", reenter: true, actions: ["reconnected", "clean", "ended"] },
        REREGISTER: { target: "registering", reenter: true, actions: ["hello", "clean", "ended"] },
      },
    },
    registered: {
      after: { heartbeatInterval: "registering" },
      on: {
        RECONNECTED: { target: "registering", actions: "reconnected" },
        REREGISTER: { target: "registering", actions: "hello" },
        TOPICS_CHANGED: { target: "registering", actions: "topicRound" },
        ROLE_CHANGED: "registering",
      },
    },
    retrying: {
      after: { retryDelay: "registering" },
      on: {
        RECONNECTED: { target: "registering", actions: "reconnected" },
        REREGISTER: { target: "registering", actions: "hello" },
        TOPICS_CHANGED: { target: "registering", actions: "topicRound" },
        ROLE_CHANGED: "registering",
      },
    },
    unregistering: {
      invoke: { src: "unregister", onDone: "stopped", onError: "stopped" },
      on: { STOP: {} },
    },
    stopped: { type: "final" },
  },
});
