// The NameServer actor: the broker table machine, wired to NATS.
// Every NameServer hears every registration; route and cluster queries go
// to one of them (queue group). NameServers share nothing with each other.
// On start and after every reconnect a NameServer says hello
// (rbus.ns.hello) and every broker registers at once, instead of the table
// waiting a heartbeat interval; while disconnected, its liveness clocks stop.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { createActor, type Actor } from "xstate";
import { brokerKey, DEFAULT_NAMESERVER_TIMINGS, nameServerMachine, type NameServerTimings } from "../machines/nameserver.js";
import type { LivenessChanged } from "../machines/liveness.js";
import { buildClusterInfo, buildRoute, mastersByGroup } from "../machines/routes.js";
import {
  BadRequestError,
  decodeRegistration,
  decodeRouteRequest,
  decodeUnregister,
  encodeJson,
  ErrorCode,
  parseObject,
  RbusError,
  subjects,
  type LivenessEvent,
  type NameServerHello,
  type NameServerInfo,
  type RegisterAck,
  type UnregisterAck,
} from "../src/protocol/index.js";
import { natsInspector } from "../src/runtime/inspect.js";
import { silentLogger, type Logger } from "../src/runtime/log.js";
import { serve } from "./responder.js";

export interface NameServerOptions {
  nc: NatsConnection;
  id: string;
  prefix?: string;
  timings?: Partial<NameServerTimings>;
  log?: Logger;
}

export interface NameServerHandle {
  id: string;
  actor: Actor<typeof nameServerMachine>;
  stop(): Promise<void>;
}

export async function startNameServer(opts: NameServerOptions): Promise<NameServerHandle> {
  const { nc, id } = opts;
  const log = (opts.log ?? silentLogger).child({ node: id });
  const subj = subjects(opts.prefix);
  const timings = { ...DEFAULT_NAMESERVER_TIMINGS, ...opts.timings };
  const startedAt = Date.now();

  const publishLiveness = (_: unknown, change: LivenessChanged) => {
    const event: LivenessEvent = { ...change, type: "liveness", nameServer: id, at: Date.now() };
    const level = change.to === "alive" && change.from === "unknown" ? "debug" : "info";
    log[level]("broker liveness", { group: change.group, replica: change.replica, from: change.from, to: change.to });
    nc.publish(subj.events.liveness(change.group, change.replica), encodeJson(event));
  };
  const actor = createActor(nameServerMachine.provide({ actions: { publishLiveness } }), {
    id,
    input: { id, timings },
    inspect: natsInspector(nc, id, opts.prefix),
  }).start();
  const brokers = () => Object.values(actor.getSnapshot().context.brokers);
  /** "<replica>@<term>" of the group's master as routes show it, for the log. */
  const masterOf = (group: string) => {
    const m = mastersByGroup(brokers().filter((b) => b.registration.group === group && b.liveness !== "dead")).get(group);
    return m && `${m.registration.replica}@${m.registration.term}`;
  };

  const subs: Subscription[] = [
    serve(
      nc,
      subj.ns.register,
      (msg): RegisterAck => {
        const registration = decodeRegistration(parseObject(msg.data));
        // Producers and consumers send to the address a route gives: it must be the replica's own
        // subject prefix, never a sink elsewhere or a wildcard.
        const own = subj.brokerBase(registration.group, registration.replica);
        if (registration.address !== own) {
          throw new BadRequestError(`"address" must be ${own}, the subject prefix of ${registration.group}.${registration.replica}; got "${registration.address}"`);
        }
        log.debug("registration", { group: registration.group, replica: registration.replica, topics: registration.topics.length });
        const before = masterOf(registration.group);
        actor.send({ type: "REGISTER", registration, at: Date.now() });
        const after = masterOf(registration.group);
        if (after !== before) log.info("group master changed", { group: registration.group, from: before ?? "none", to: after ?? "none" });
        const entry = actor.getSnapshot().context.brokers[`${registration.group}.${registration.replica}`];
        return { nameServer: id, liveness: entry?.liveness ?? "alive" };
      },
      { log },
    ),
    serve(
      nc,
      subj.ns.unregister,
      (msg): UnregisterAck => {
        const { group, replica } = decodeUnregister(parseObject(msg.data));
        const before = brokers().length;
        actor.send({ type: "UNREGISTER", group, replica });
        return { nameServer: id, removed: brokers().length < before };
      },
      { log },
    ),
    serve(
      nc,
      subj.ns.route,
      (msg) => {
        const { topic } = decodeRouteRequest(parseObject(msg.data));
        const route = buildRoute(id, topic, brokers());
        if (!route) throw new RbusError(ErrorCode.TOPIC_NOT_EXIST, `no live broker serves topic "${topic}"`);
        return route;
      },
      { log, queue: subj.ns.queueGroup },
    ),
    serve(
      nc,
      subj.ns.cluster,
      (msg) => {
        parseObject(msg.data);
        return buildClusterInfo(id, brokers());
      },
      { log, queue: subj.ns.queueGroup },
    ),
    serve(
      nc,
      subj.ns.info,
      (msg): NameServerInfo => {
        parseObject(msg.data);
        const all = brokers();
        const liveness = { alive: 0, suspect: 0, dead: 0 };
        const lastHeartbeatAt: Record<string, number> = {};
        for (const b of all) {
          liveness[b.liveness]++;
          lastHeartbeatAt[brokerKey(b.registration.group, b.registration.replica)] = b.lastHeartbeatAt;
        }
        return { nameServer: id, startedAt, brokers: all.length, liveness, ...timingsMs(timings), lastHeartbeatAt };
      },
      { log },
    ),
  ];
  const hello = () => {
    const h: NameServerHello = { nameServer: id, at: Date.now() };
    nc.publish(subj.ns.hello, encodeJson(h));
  };
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        log.info("NATS connection lost; liveness clocks paused");
        actor.send({ type: "DISCONNECTED" });
      } else if (s.type === "reconnect") {
        log.info("NATS connection restored; asking brokers to register again");
        actor.send({ type: "RECONNECTED" });
        hello();
      }
    }
  })();
  await nc.flush();
  hello();
  log.info("nameserver started", { ...timings });

  return {
    id,
    actor,
    async stop() {
      for (const s of subs) s.unsubscribe();
      actor.stop();
      log.info("nameserver stopped");
    },
  };
}

function timingsMs(t: NameServerTimings) {
  return { scanIntervalMs: t.scanIntervalMs, suspectAfterMs: t.suspectAfterMs, deadAfterMs: t.deadAfterMs };
}
