// Provides the registration machine's effects: one request on
// rbus.ns.register that every NameServer answers, and the same for a clean
// unregister. Watches the NATS connection and re-registers when it returns.
import type { NatsConnection } from "@nats-io/transport-node";
import { createActor, fromPromise, waitFor, type Actor } from "xstate";
import { registrationMachine } from "../machines/broker-registration.js";
import { RbusError, subjects, type BrokerRegistration, type RegisterAck, type UnregisterAck } from "../src/protocol/index.js";
import { natsInspector } from "../src/runtime/inspect.js";
import type { Logger } from "../src/runtime/log.js";
import { requestAll } from "../src/runtime/request.js";

export interface RegistrationOptions {
  nc: NatsConnection;
  prefix?: string;
  heartbeatIntervalMs: number;
  /** The registration as of now: role, term and topic table change over time. */
  registration: () => BrokerRegistration;
  log: Logger;
}

export type RegistrationActor = Actor<typeof registrationMachine>;

export function startRegistration(opts: RegistrationOptions): RegistrationActor {
  const { nc, log } = opts;
  const subj = subjects(opts.prefix);

  /** Counts the NameServers that acknowledged; logs the ones that refused. */
  const countAcks = <T>(replies: Array<T | RbusError>, what: string) => {
    const refused = replies.filter((r): r is RbusError => r instanceof RbusError);
    for (const r of refused) log.warn(`${what} refused by a NameServer`, { code: r.code, message: r.message });
    return replies.length - refused.length;
  };

  const machine = registrationMachine.provide({
    actors: {
      register: fromPromise(async () => {
        const replies = await requestAll<RegisterAck>(nc, subj.ns.register, opts.registration());
        const answered = countAcks(replies, "registration");
        log.debug("registered", { nameServers: answered });
        if (answered === 0) log.warn("no NameServer answered the registration; retrying", {});
        return { answered };
      }),
      unregister: fromPromise(async () => {
        const { group, replica } = opts.registration();
        const replies = await requestAll<UnregisterAck>(nc, subj.ns.unregister, { group, replica }, { maxWaitMs: 1000 });
        return { answered: countAcks(replies, "unregister") };
      }),
    },
  });
  const { group, replica } = opts.registration();
  const actor = createActor(machine, {
    id: "registration",
    input: { heartbeatIntervalMs: opts.heartbeatIntervalMs, retryBaseMs: 500 },
    inspect: natsInspector(nc, `${group}-${replica}`, opts.prefix),
  });

  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "reconnect") {
        log.info("NATS connection restored; registering again");
        actor.send({ type: "RECONNECTED" });
      }
    }
  })();
  return actor.start();
}

/** Unregisters from every NameServer and waits for it, at most `timeoutMs`. */
export async function stopRegistration(actor: RegistrationActor, timeoutMs = 2000): Promise<void> {
  actor.send({ type: "STOP" });
  await waitFor(actor, (s) => s.status === "done", { timeout: timeoutMs }).catch(() => undefined);
  actor.stop();
}
