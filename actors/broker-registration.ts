// Provides the registration machine's effects: one request on
// rbus.ns.register that every NameServer answers, and the same for a clean
// unregister. Watches the NATS connection and re-registers when it returns,
// and listens on rbus.ns.hello, where a NameServer that started or came
// back asks every broker to register again.
import type { NatsConnection } from "@nats-io/transport-node";
import { createActor, fromPromise, waitFor, type Actor } from "xstate";
import { registrationMachine } from "../machines/broker-registration.js";
import { encodeJson, ErrorCode, MAX_REGISTRATION_PAGES, RbusError, subjects, type BrokerRegistration, type NameServerHello, type RegisterAck, type RegistrationRequest, type UnregisterAck } from "../src/protocol/index.js";
import { pageRegistration } from "../machines/registration-pages.js";
import { maxPayload, REQUEST_HEADROOM } from "./reply-limits.js";
import type { NodeInspector } from "../src/runtime/inspect.js";
import type { Logger } from "../src/runtime/log.js";
import { requestAll } from "../src/runtime/request.js";
import { objectWith, subscribeJson } from "../src/runtime/subscribe.js";
import type { Clock } from "./group-transport.js";

export interface RegistrationOptions {
  nc: NatsConnection;
  prefix?: string;
  heartbeatIntervalMs: number;
  /** The registration as of now: role, term and topic table change over time. */
  registration: () => BrokerRegistration;
  /** The process's secret session: in every register and unregister, nowhere else. */
  session: string;
  log: Logger;
  /** Drives the heartbeat and retry delays (real time unless simulated). */
  clock?: Clock;
  /** The replica's inspector (rbus.inspect.<g>-<r>), shared with its role actor; none: not inspected. */
  inspect?: NodeInspector["observer"];
}

export type RegistrationActor = Actor<typeof registrationMachine>;

export function startRegistration(opts: RegistrationOptions): RegistrationActor {
  const { nc, log } = opts;
  const subj = subjects(opts.prefix);

  /** The acks of the NameServers that accepted; logs the ones that refused. */
  const acks = <T>(replies: Array<T | RbusError>, what: string): T[] => {
    const out: T[] = [];
    for (const r of replies) {
      if (r instanceof RbusError) log.warn(`${what} refused by a NameServer`, { code: r.code, message: r.message });
      else out.push(r);
    }
    return out;
  };

  let seq = 0;
  /**
   * The registration's pages (one unless the topic table is larger than the
   * connection's max_payload); all but the last are published without a
   * reply, in order, and the NameServers acknowledge the last.
   */
  const send = async (): Promise<Array<RegisterAck | RbusError>> => {
    const req: RegistrationRequest = { ...opts.registration(), session: opts.session, seq: seq++ };
    const budget = maxPayload(nc) - REQUEST_HEADROOM;
    const paged = pageRegistration(req, budget);
    if (paged.type === "too-large" || paged.pages.length > MAX_REGISTRATION_PAGES) {
      const bytes = paged.type === "too-large" ? paged.bytes : paged.pages.length;
      log.error("the registration cannot be sent: it does not fit the bus's max_payload even in pages; NameServers will not route to this replica", {
        ...(paged.type === "too-large" ? { bytes, budget } : { pages: bytes, maxPages: MAX_REGISTRATION_PAGES }),
        topics: req.topics.length,
      });
      return [];
    }
    const pages = paged.pages;
    if (pages.length > 1) log.debug("registration sent in pages", { pages: pages.length, topics: req.topics.length });
    for (const page of pages.slice(0, -1)) nc.publish(subj.ns.register, encodeJson(page));
    // Every NameServer gets the registration; collecting acks may end once the known ones answered.
    const enough = actor.getSnapshot().context.known.length;
    return requestAll<RegisterAck>(nc, subj.ns.register, pages[pages.length - 1], { enough });
  };

  const machine = registrationMachine.provide({
    actors: {
      register: fromPromise(async () => {
        const replies = await send();
        const nameServers = acks(replies, "registration")
          .map((a) => a.nameServer)
          .filter((id): id is string => typeof id === "string");
        log.debug("registered", { nameServers });
        if (nameServers.length === 0) log.warn("no NameServer answered the registration; retrying", {});
        // A NameServer over a limit (its identity checks, this replica's rate) holds an old
        // registration or none: retry with backoff instead of waiting a heartbeat.
        if (replies.some((r) => r instanceof RbusError && r.code === ErrorCode.LIMIT_EXCEEDED)) {
          throw new RbusError(ErrorCode.LIMIT_EXCEEDED, "a NameServer asked to register again later");
        }
        return { nameServers };
      }),
      unregister: fromPromise(async () => {
        const { group, replica } = opts.registration();
        const replies = await requestAll<UnregisterAck>(nc, subj.ns.unregister, { group, replica, session: opts.session }, { maxWaitMs: 1000 });
        return { answered: acks(replies, "unregister").length };
      }),
    },
  });
  const actor = createActor(machine, {
    id: "registration",
    input: { heartbeatIntervalMs: opts.heartbeatIntervalMs, retryBaseMs: 500 },
    inspect: opts.inspect,
    ...(opts.clock ? { clock: { setTimeout: (fn: () => void, ms: number) => opts.clock!.set(fn, ms), clearTimeout: (h: unknown) => opts.clock!.clear(h) } } : {}),
  });

  const hello = subscribeJson<NameServerHello>(
    nc,
    subj.ns.hello,
    (h) => {
      log.debug("a NameServer asks to register again", { nameServer: h.nameServer });
      actor.send({ type: "REREGISTER", nameServer: h.nameServer });
    },
    { log, decode: objectWith<NameServerHello>("nameServer") },
  );
  void actor.start().subscribe({ complete: () => hello.unsubscribe() });

  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "reconnect") {
        log.info("NATS connection restored; registering again");
        actor.send({ type: "RECONNECTED" });
      }
    }
  })();
  return actor;
}

/** Unregisters from every NameServer and waits for it, at most `timeoutMs`. */
export async function stopRegistration(actor: RegistrationActor, timeoutMs = 2000): Promise<void> {
  actor.send({ type: "STOP" });
  await waitFor(actor, (s) => s.status === "done", { timeout: timeoutMs }).catch(() => undefined);
  actor.stop();
}
