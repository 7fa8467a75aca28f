// The NameServer actor: the broker table machine, wired to NATS.
// Every NameServer hears every registration; route and cluster queries go
// to one of them (queue group). NameServers share nothing with each other.
// On start and after every reconnect a NameServer says hello
// (rbus.ns.hello) and every broker registers at once, instead of the table
// waiting a heartbeat interval; while disconnected, its liveness clocks stop.
// Registrations and unregisters pass the checks of ns-admission.ts first:
// a NameServer trusts no message for being on rbus.ns.register.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { createActor, type Actor } from "xstate";
import { brokerKey, DEFAULT_NAMESERVER_TIMINGS, nameServerMachine, type NameServerTimings } from "../machines/nameserver.js";
import type { LivenessChanged } from "../machines/liveness.js";
import { buildClusterInfo, buildRoute, mastersByGroup } from "../machines/routes.js";
import {
  decodeRegistrationRequest,
  decodeRouteRequest,
  decodeUnregister,
  encodeJson,
  ErrorCode,
  parseObject,
  RbusError,
  ServiceName,
  subjects,
  type LivenessEvent,
  type NameServerHello,
  type NameServerInfo,
  type NameServerLimits,
  type RegisterAck,
  type UnregisterAck,
} from "../src/protocol/index.js";
import { natsInspector } from "../src/runtime/inspect.js";
import { silentLogger, type Logger } from "../src/runtime/log.js";
import { serve } from "./responder.js";
import { Endpoints } from "./endpoint-stats.js";
import { serveDiscovery } from "./service-discovery.js";
import { Admission, DEFAULT_NAMESERVER_LIMITS } from "./ns-admission.js";
import { Refusals } from "./ns-refusals.js";
import { NameServerCounters, nameServerMetrics } from "./nameserver-metrics.js";
import { natsProbe, Sessions } from "./ns-sessions.js";

export interface NameServerOptions {
  nc: NatsConnection;
  id: string;
  prefix?: string;
  timings?: Partial<NameServerTimings>;
  /** Broker cap, registration rate, identity probes (DEFAULT_NAMESERVER_LIMITS). */
  limits?: Partial<NameServerLimits>;
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
  const limits = { ...DEFAULT_NAMESERVER_LIMITS, ...opts.limits };
  const startedAt = Date.now();
  let stopped = false;
  // made first: a bad RBUS_INSPECT stops the start before anything is opened
  const inspector = natsInspector(nc, id, opts.prefix);
  const prober = natsProbe(nc, limits.probeTimeoutMs);
  const refusals = new Refusals(log);
  const counters = new NameServerCounters();
  const table = () => actor.getSnapshot().context;
  const admission = new Admission({
    subj,
    limits,
    sessions: new Sessions(prober.probe, limits.maxProbes),
    refusals,
    size: () => table().brokers.size,
    known: (key) => table().brokers.get(key)?.registration,
    now: Date.now,
  });

  const publishLiveness = (_: unknown, change: LivenessChanged) => {
    if (change.to === "removed") admission.forget(brokerKey(change.group, change.replica));
    counters.transition(change.from, change.to);
    const event: LivenessEvent = { ...change, type: "liveness", nameServer: id, at: Date.now() };
    const level = change.to === "alive" && change.from === "unknown" ? "debug" : "info";
    log[level]("broker liveness", { group: change.group, replica: change.replica, from: change.from, to: change.to });
    nc.publish(subj.events.liveness(change.group, change.replica), encodeJson(event));
  };
  const actor = createActor(nameServerMachine.provide({ actions: { publishLiveness } }), {
    id,
    input: { id, timings },
    inspect: inspector.observer,
  }).start();
  const brokers = () => table().brokers.values();
  /** "<replica>@<term>" of the group's master as routes show it, for the log. */
  const masterOf = (group: string) => {
    const replicas = [...(table().groups.get(group)?.values() ?? [])].filter((b) => b.liveness !== "dead");
    const m = mastersByGroup(replicas).get(group);
    return m && `${m.registration.replica}@${m.registration.term}`;
  };
  const apply = (admitted: Awaited<ReturnType<Admission["register"]>>): RegisterAck => {
    if (admitted === undefined || stopped) return { nameServer: id, liveness: "alive" };
    const { registration, fingerprint, restarted } = admitted;
    const { group, replica } = registration;
    log.debug("registration", { group, replica, topics: registration.topics.length });
    if (restarted) log.info("replica restarted: its new session is verified", { group, replica, fingerprint });
    const before = masterOf(group);
    actor.send({ type: "REGISTER", registration, fingerprint, at: Date.now() });
    counters.registrations++;
    const after = masterOf(group);
    if (after !== before) log.info("group master changed", { group, from: before ?? "none", to: after ?? "none" });
    return { nameServer: id, liveness: table().brokers.get(brokerKey(group, replica))?.liveness ?? "alive" };
  };

  // counted for $SRV.STATS by the subscriptions that serve them
  const endpoints = new Endpoints();
  const subs: Subscription[] = [
    serve(
      nc,
      subj.ns.register,
      (msg) => {
        const admitted = admission.register(decodeRegistrationRequest(parseObject(msg.data)));
        return admitted instanceof Promise ? admitted.then(apply) : apply(admitted);
      },
      { log, stats: endpoints.add("register", subj.ns.register) },
    ),
    serve(
      nc,
      subj.ns.unregister,
      (msg): UnregisterAck => {
        const req = decodeUnregister(parseObject(msg.data));
        const entry = table().brokers.get(brokerKey(req.group, req.replica));
        if (!entry) return { nameServer: id, removed: false };
        admission.unregister(req);
        actor.send({ type: "UNREGISTER", group: req.group, replica: req.replica });
        return { nameServer: id, removed: !table().brokers.has(brokerKey(req.group, req.replica)) };
      },
      { log, stats: endpoints.add("unregister", subj.ns.unregister) },
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
      { log, queue: subj.ns.queueGroup, stats: endpoints.add("route", subj.ns.route, subj.ns.queueGroup) },
    ),
    serve(
      nc,
      subj.ns.cluster,
      (msg) => {
        parseObject(msg.data);
        return buildClusterInfo(id, brokers());
      },
      { log, queue: subj.ns.queueGroup, stats: endpoints.add("cluster", subj.ns.cluster, subj.ns.queueGroup) },
    ),
    serve(
      nc,
      subj.ns.info,
      (msg): NameServerInfo => {
        parseObject(msg.data);
        const liveness = { alive: 0, suspect: 0, dead: 0 };
        const lastHeartbeatAt: Record<string, number> = Object.create(null);
        let count = 0;
        for (const b of brokers()) {
          count++;
          liveness[b.liveness]++;
          lastHeartbeatAt[brokerKey(b.registration.group, b.registration.replica)] = b.lastHeartbeatAt;
        }
        return {
          nameServer: id, startedAt, brokers: count, liveness, ...timingsMs(timings), lastHeartbeatAt,
          limits, refused: { ...refusals.counts },
        };
      },
      { log, stats: endpoints.add("info", subj.ns.info) },
    ),
  ];
  subs.push(serve(nc, subj.metrics(id), () => nameServerMetrics({
    id, startedAt, counters, refusals: refusals.counts, liveness: brokers(), endpoints: endpoints.all,
  }), { log }));
  subs.push(serve(nc, subj.machines(id), () => inspector.machinesNow(), { log }));
  subs.push(...serveDiscovery(nc, {
    name: ServiceName.nameserver, id, description: `Rocketbus NameServer ${id}`, endpoints: endpoints.all, startedAt, log,
    metadata: () => ({ node: id, prefix: subj.prefix }),
  }));
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
  log.info("nameserver started", { ...timings, ...limits });

  return {
    id,
    actor,
    async stop() {
      stopped = true;
      for (const s of subs) s.unsubscribe();
      prober.stop();
      actor.stop();
      log.info("nameserver stopped");
    },
  };
}

function timingsMs(t: NameServerTimings) {
  return { scanIntervalMs: t.scanIntervalMs, suspectAfterMs: t.suspectAfterMs, deadAfterMs: t.deadAfterMs };
}
