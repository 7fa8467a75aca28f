// A broker replica's registration with the NameServers (RocketMQ's
// BrokerController.registerBrokerAll): register at start, again every
// heartbeat interval, at once when the NATS connection comes back or the
// topic table changes, and unregister on a clean stop. One registration is
// one request that every NameServer answers; `register` resolves with how
// many did. Zero answers counts as a failure and is retried with backoff.
import { assign, fromPromise, setup } from "xstate";

export interface RegistrationInput {
  heartbeatIntervalMs: number;
  /** First retry delay after a failed registration; doubles up to the heartbeat interval. */
  retryBaseMs: number;
}

export interface RegistrationContext extends RegistrationInput {
  /** NameServers that answered the last registration. */
  answered: number;
  /** Failed registrations in a row. */
  failures: number;
}

export type RegistrationEvent = { type: "RECONNECTED" } | { type: "TOPICS_CHANGED" } | { type: "STOP" };

export const registrationMachine = setup({
  types: {
    input: {} as RegistrationInput,
    context: {} as RegistrationContext,
    events: {} as RegistrationEvent,
  },
  actors: {
    /** Provided by the broker actor: one request, every NameServer's reply collected. */
    register: fromPromise<{ answered: number }>(async () => {
      throw new Error("register is provided by the broker actor");
    }),
    unregister: fromPromise<{ answered: number }>(async () => {
      throw new Error("unregister is provided by the broker actor");
    }),
  },
  delays: {
    heartbeatInterval: ({ context }) => context.heartbeatIntervalMs,
    retryDelay: ({ context }) =>
      Math.min(context.heartbeatIntervalMs, context.retryBaseMs * 2 ** Math.min(context.failures - 1, 16)),
  },
  guards: {
    someoneAnswered: ({ event }) => (event as unknown as { output: { answered: number } }).output.answered > 0,
  },
  actions: {
    succeeded: assign(({ event }) => ({
      answered: (event as unknown as { output: { answered: number } }).output.answered,
      failures: 0,
    })),
    failed: assign(({ context }) => ({ answered: 0, failures: context.failures + 1 })),
  },
}).createMachine({
  id: "registration",
  context: ({ input }) => ({ ...input, answered: 0, failures: 0 }),
  initial: "registering",
  on: {
    STOP: ".unregistering",
  },
  states: {
    registering: {
      invoke: {
        src: "register",
        onDone: [
          { guard: "someoneAnswered", target: "registered", actions: "succeeded" },
          { target: "retrying", actions: "failed" },
        ],
        onError: { target: "retrying", actions: "failed" },
      },
      on: {
        // A registration in flight carries the old table, or went out before
        // the connection dropped and may be lost: send a fresh one.
        TOPICS_CHANGED: { target: "registering", reenter: true },
        RECONNECTED: { target: "registering", reenter: true },
      },
    },
    registered: {
      after: { heartbeatInterval: "registering" },
      on: { RECONNECTED: "registering", TOPICS_CHANGED: "registering" },
    },
    retrying: {
      after: { retryDelay: "registering" },
      on: { RECONNECTED: "registering", TOPICS_CHANGED: "registering" },
    },
    unregistering: {
      invoke: { src: "unregister", onDone: "stopped", onError: "stopped" },
      on: { STOP: {} },
    },
    stopped: { type: "final" },
  },
});
