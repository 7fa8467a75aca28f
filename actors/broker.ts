// A broker replica: its message store, the APIs it serves under
// rbus.broker.<group>.<replica>.*, its part in the group's replication
// (role, term, commit offset: replication.ts), and its registration with
// every NameServer (carrying its topic table and role, re-sent at once
// when either changes).
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  encodeJson,
  MAX_REPLICA,
  optInt,
  parseObject,
  subjects,
  isGroupScoped,
  type BrokerApi,
  type BrokerIdentity,
  type BrokerRegistration,
  type ConsumerMembers,
  type ConfigSnapshot,
  type RoleEvent,
  ErrorCode,
  RbusError,
  ServiceName,
} from "../src/protocol/index.js";
import { MessageStore, type StoreOptions } from "../src/store/index.js";
import { silentLogger, type Logger } from "../src/runtime/log.js";
import { adminHandlers } from "./broker-admin.js";
import { groupHandlers } from "./broker-groups.js";
import { opsHandlers } from "./broker-ops.js";
import { BrokerCounters, brokerMetrics } from "./broker-metrics.js";
import type { BrokerContext } from "./broker-context.js";
import { offsetHandlers } from "./broker-offsets.js";
import { ResetEpochs } from "./reset-epochs.js";
import { pullHandler } from "./broker-pull.js";
import { maxPayload, replyBudget, REQUEST_HEADROOM } from "./reply-limits.js";
import { startRegistration, stopRegistration, type RegistrationActor } from "./broker-registration.js";
import { sendHandlers } from "./broker-send.js";
import { txEndHandler } from "./transaction-end.js";
import { startTransactions, type TransactionOptions } from "./transaction-service.js";
import { sendBackHandler } from "./broker-sendback.js";
import { createBrokerTimers, type TimerOptions } from "./timer-api.js";
import { startTimerService } from "./timer-service.js";
import { publishRecoveryEvents } from "./store-events.js";
import { BrokerTopics } from "./broker-topics.js";
import { ConsumerTable } from "./consumer-table.js";
import { queueLocks, type QueueLocks } from "./queue-locks.js";
import { limitsStatus, memoryNow, resolveLimits, type BrokerLimits } from "./limits.js";
import { ReplyPacer } from "./reply-pacer.js";
import { serve, type Handler } from "./responder.js";
import { Endpoints } from "./endpoint-stats.js";
import { serveDiscovery } from "./service-discovery.js";
import { natsInspector } from "../src/runtime/inspect.js";
import { newSession, sessionFingerprint } from "../src/protocol/session.js";
import { requestJson } from "../src/runtime/request.js";
import { realClock, type Clock } from "./group-transport.js";
import { natsGroupTransport } from "./nats-group-transport.js";
import { startReplication, type AckLevel, type Failover, type Replication, type ReplicationEvent } from "./replication.js";

export { AUTO_CREATE_TOPIC, DEFAULT_QUEUES } from "../src/protocol/index.js";

/** RocketMQ's maxMessageSize. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface BrokerOptions {
  nc: NatsConnection;
  cluster?: string;
  group: string;
  replica: number;
  dataDir: string;
  prefix?: string;
  heartbeatIntervalMs?: number;
  autoCreateTopic?: boolean;
  /** Largest message body accepted (default 4 MiB; never more than the bus's max_payload less 4 KiB). */
  maxMessageBytes?: number;
  /** What clients may make the broker hold (actors/limits.ts; defaults in DEFAULT_LIMITS). */
  limits?: Partial<BrokerLimits>;
  /** Store settings: flush mode, segment size, retention… */
  store?: StoreOptions;
  /**
   * The clock and timers of everything time-driven in the replica: held
   * pulls, the heartbeat, replication and elections, the store's flusher
   * (unless store.timers says otherwise). Real time unless a test simulates it.
   */
  clock?: Clock;
  /** Replicas of the group and how a master is chosen (docs/replication.md); absent: one replica. */
  replication?: { replicas: number; failover: Failover; ack: AckLevel; electionTimeoutMs: number; readFromSlaveBytes?: number };
  /** How long a queue lock (lock.batch) stands without renewal (default 60 s, RocketMQ's lockMaxLiveTime). */
  lockLeaseMs?: number;
  /** Check-back of half messages: immunity, interval, checkMax (docs/transactions.md). */
  transactions?: Partial<TransactionOptions>;
  /** Delay levels, the timer horizon and the pending limit (docs/timers.md). */
  timers?: TimerOptions;
  log?: Logger;
}

export interface BrokerHandle {
  group: string;
  replica: number;
  store: MessageStore;
  registration: RegistrationActor;
  replication: Replication;
  stop(): Promise<void>;
}

/** A replica's role actor on rbus.inspect carries its term and master: a new term is news even when the state is not. */
function roleSummary(machine: string, context: unknown): Record<string, unknown> | undefined {
  if (machine !== "role") return undefined;
  const c = context as { term: number; master: number | null };
  return { term: c.term, master: c.master };
}

/**
 * Largest chunk one fetch carries: big enough to catch up fast, small
 * enough that a follower's acknowledgements (and so the commit offset)
 * move in small steps under load.
 */
const FETCH_MAX_BYTES = 1024 * 1024;

/** Default election timeout: a slave that hears nothing from its master this long (to twice this) runs for master. */
export const DEFAULT_ELECTION_TIMEOUT_MS = 3000;
/** RocketMQ sends a consumer to a slave when it reads further back than 40 % of memory; a fixed figure here. */
export const DEFAULT_READ_FROM_SLAVE_BYTES = 256 * 1024 * 1024;

export async function startBroker(opts: BrokerOptions): Promise<BrokerHandle> {
  const { nc, group, replica } = opts;
  const subj = subjects(opts.prefix);
  const node = `${group}.${replica}`;
  const log = (opts.log ?? silentLogger).child({ node });
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 30_000;
  // A message must fit the request that brings it and the pull reply that takes it away.
  const maxMessageBytes = Math.min(opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, maxPayload(nc) - REQUEST_HEADROOM);
  const clock = opts.clock ?? realClock;
  const limits = resolveLimits(opts.limits);
  if (maxMessageBytes < (opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES)) {
    log.info("message size limited by the bus's max_payload", { maxMessageBytes, maxPayload: maxPayload(nc), asked: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES });
  }
  // the role and registration actors: one node, one rbus.inspect stream, one rbus.machines answer
  // (made first: a bad RBUS_INSPECT stops the start before anything is opened)
  const inspector = natsInspector(nc, `${group}-${replica}`, opts.prefix, { summary: roleSummary });
  const startedAt = clock.now();
  // This process's secret: sent only to NameServers, shown only as its fingerprint.
  const session = newSession();
  const repl = opts.replication ?? { replicas: 1, failover: "auto", ack: "quorum", electionTimeoutMs: DEFAULT_ELECTION_TIMEOUT_MS };
  const replicas = repl.replicas;

  // The store's limit is on the whole record (body, topic, tags, keys and
  // properties); the broker's on the body, checked first.
  const store = await MessageStore.open(opts.dataDir, {
    maxMessageBytes: Math.min(maxMessageBytes + 256 * 1024, replyBudget(nc)),
    ...(opts.clock ? { timers: opts.clock, now: opts.clock.now } : {}),
    ...opts.store,
    replicated: replicas > 1,
    onError: (err: unknown) => log.error("store error", { error: String(err) }),
    log: log.child({ component: "store" }),
  });
  if (store.recovery.abnormal) log.warn("recovered after an unclean stop", { ...store.recovery });
  publishRecoveryEvents(nc, subj, store.recovery, group, replica);

  let registrationActor: RegistrationActor | undefined;
  // Bumped when the topic table or the consumer offsets change: slaves copy both when it moves.
  let configVersion = Date.now();
  const topics = new BrokerTopics(store.topics, opts.autoCreateTopic ?? true, () => {
    configVersion++;
    registrationActor?.send({ type: "TOPICS_CHANGED" });
  }, log, limits, store);
  const config = {
    version: () => configVersion,
    snapshot: (): ConfigSnapshot => ({ version: configVersion, topics: store.topics.snapshot(), offsets: store.offsets.snapshot(), groups: store.subgroups.all() }),
    apply: (s: ConfigSnapshot) => {
      // a topic the master deleted: its queues go here too (their ends kept, as on the master)
      const kept = new Set(s.topics.map((t) => t.topic));
      for (const t of store.topics.all()) if (!kept.has(t.topic)) store.retireQueues(t.topic);
      store.topics.load(s.topics);
      store.offsets.load(s.offsets);
      // a master from before subscription groups sends none: keep what is here
      if (s.groups) store.subgroups.load(s.groups);
      registrationActor?.send({ type: "TOPICS_CHANGED" });
    },
  };
  const replication = startReplication({
    group, replica, replicas, failover: repl.failover, ack: repl.ack, electionTimeoutMs: repl.electionTimeoutMs,
    store, transport: natsGroupTransport(nc, group, replica, log, opts.prefix), clock, log: log.child({ component: "replication" }),
    config, syncFlush: opts.store?.flush === "sync", fetchMaxBytes: Math.max(64 * 1024, Math.min(FETCH_MAX_BYTES, replyBudget(nc) - 4096)),
    inspect: inspector.observer,
  });
  const publishRoleEvent = (e: ReplicationEvent) => {
    if (e.type === "role") registrationActor?.send({ type: "ROLE_CHANGED" });
    const base = { group, replica, term: e.term, at: Date.now() };
    let event: RoleEvent | undefined;
    if (e.type === "role") event = { ...base, type: "role", role: e.role, master: e.master, reason: e.reason, commit: store.commitOffset, end: store.maxPhysicalOffset };
    else if (e.type === "truncated") event = { ...base, type: "truncated", from: e.from, to: e.to };
    else event = { ...base, type: "election", outcome: e.outcome, preVote: e.preVote, votes: e.votes, needed: Math.floor(replicas / 2) + 1 };
    if (!nc.isClosed()) nc.publish(subj.events.role(group), encodeJson(event));
  };
  replication.on(publishRoleEvent);
  const counters = new BrokerCounters();
  replication.on((e) => counters.onReplication(e));
  const ctx: BrokerContext = {
    group, replica, store, topics, maxMessageBytes, log, clock,
    replyBudget: () => replyBudget(nc),
    limits,
    pacer: new ReplyPacer(limits.maxReplyBytesInFlight, () => nc.flush()),
    isMaster: () => replication.writable(),
    replication, replicas, ack: repl.ack,
    commitTimeoutMs: Math.max(2 * repl.electionTimeoutMs, 3000),
    address: (i) => subj.brokerBase(group, i),
    readFromSlaveBytes: repl.readFromSlaveBytes ?? DEFAULT_READ_FROM_SLAVE_BYTES,
    forwardToMaster: async (api, data) => {
      const m = replication.master();
      if (m === null || m === replica) throw new Error("no master known");
      return await requestJson<unknown>(nc, subj.broker(group, m, api), JSON.parse(new TextDecoder().decode(data)), 2000);
    },
    configChanged: () => void configVersion++,
    counters,
    timers: createBrokerTimers(() => ctx, opts.timers ?? {}, () => timerService),
  };
  const timerService = startTimerService(ctx, { maxPending: opts.timers?.maxPending });

  let locks: QueueLocks | undefined;
  // rbus.events.consumers.<cg>: members rebalance (and, with retryTopicOn, look for the retry topic) at once
  const publishMembers = (consumerGroup: string, members: string[], retryTopicOn?: string) => {
    const event: ConsumerMembers = { group: consumerGroup, members, broker: subj.brokerBase(group, replica), ...(retryTopicOn ? { retryTopicOn } : {}) };
    nc.publish(subj.events.consumers(consumerGroup), encodeJson(event));
  };
  const consumers = new ConsumerTable((consumerGroup, members) => {
    locks?.membersChanged(consumerGroup, members);
    log.debug("consumer group changed", { group: consumerGroup, members: members.length });
    publishMembers(consumerGroup, members);
  }, limits, clock);
  locks = queueLocks(ctx, consumers, opts.lockLeaseMs);
  let expiry: unknown;
  const expire = () => {
    consumers.expire(clock.now());
    expiry = clock.set(expire, 1000);
  };
  expiry = clock.set(expire, 1000);

  const registration = (): BrokerRegistration => {
    const r = replication.status();
    return {
      cluster: opts.cluster ?? "DefaultCluster",
      group,
      replica,
      role: r.role,
      term: r.term,
      address: subj.brokerBase(group, replica),
      heartbeatIntervalMs,
      topics: topics.all(),
      startedAt,
      replicas,
      commitOffset: r.commit,
      end: r.end,
      masterReplica: r.master ?? -1,
      ...(r.role === "master" && replicas > 1 ? { followers: r.followers } : {}),
    };
  };

  const send = sendHandlers(ctx);
  const transactions = startTransactions(ctx, nc, subj, opts.transactions);
  const pull = pullHandler(ctx);
  const epochs = new ResetEpochs(() => clock.now());
  const offsets = offsetHandlers(ctx, epochs, (g, clientId, topic, queueId, lock) => locks!.fenced(g, clientId, topic, queueId, lock));
  const groups = groupHandlers(ctx, consumers, (g) => locks!.holders(g));
  const ops = opsHandlers(ctx, consumers, groups, {
    epochs,
    publish: (notice) => nc.publish(subj.events.reset(notice.group), encodeJson(notice)),
  });
  const admin = adminHandlers(ctx, consumers, ops);
  const status = (msg: { data: Uint8Array }) => {
    parseObject(msg.data);
    // served a moment before the registration loop exists
    if (!registrationActor) throw new RbusError(ErrorCode.BROKER_BUSY, `${group}.${replica} is starting; ask again in a moment`);
    const reg = registrationActor.getSnapshot();
    return {
      ...registration(),
      registration: reg.value,
      nameServers: reg.context.answered,
      store: store.stats(),
      pullsHeld: pull.held(),
      replication: replication.status(),
      // bounded: the first groups and members (counts in full), however many clients joined
      consumerGroups: consumers.summary(),
      limits: limitsStatus(limits, {
        heldPulls: pull.held(),
        heldPullsTopClient: pull.heldTopClient(),
        replyBytesInFlight: ctx.pacer.bytesInFlight(),
        topics: topics.all().length,
        queuesTopTopic: topics.queuesTop(),
        consumerGroups: consumers.groupCount(),
        groupMembersTop: consumers.largestGroup(),
        members: consumers.size(),
      }, maxMessageBytes, maxPayload(nc)),
      transactions: transactions.summary(),
      memory: memoryNow(),
      timers: ctx.timers.status(),
    };
  };
  const apis: Array<[BrokerApi, Handler]> = [
    ["send", send.send],
    ["send.half", send.sendHalf],
    ["send.batch", send.sendBatch],
    ["offset.commit", offsets.commit],
    ["offset.query", offsets.query],
    ["topic.upsert", admin.topicUpsert],
    ["topic.list", admin.topicList],
    ["message", admin.message],
    ["client.heartbeat", admin.heartbeat],
    ["client.unregister", admin.unregister],
    ["lock.batch", locks.lockBatch],
    ["unlock.batch", locks.unlockBatch],
    ["status", status],
    ["topic.status", ops.topicStatus],
    ["topic.delete", ops.topicDelete],
    ["offset.reset", ops.offsetReset],
    ["consumer.connection", groups.connection],
    ["consumer.progress", groups.progress],
    ["subgroup.upsert", groups.subgroupUpsert],
    ["subgroup.list", groups.subgroupList],
    ["consumer.sendback", sendBackHandler(ctx, {
      dlq: (e) => nc.publish(subj.events.dlq(e.consumerGroup), encodeJson(e)),
      retryTopicMade: (cg) => publishMembers(cg, consumers.members(cg), group),
    })],
    ["identity", (msg): BrokerIdentity => {
      parseObject(msg.data); // {} like every other request: junk is BAD_REQUEST
      return { group, replica, fingerprint: sessionFingerprint(session), startedAt };
    }],
    ["tx.end", txEndHandler(ctx, transactions)],
    ["failover", async (msg) => {
      const o = parseObject(msg.data);
      // an integer replica id or nothing: Number() would take "x" (NaN) or a deeply nested array (stack overflow)
      const to = optInt(o, "to", 0, MAX_REPLICA);
      return replication.transferTo(to, Math.max(5000, 2 * repl.electionTimeoutMs));
    }],
  ];
  const subject = (api: BrokerApi) => (isGroupScoped(api) ? subj.brokerScoped(group, replica, api) : subj.broker(group, replica, api));
  // counted for $SRV.STATS by the subscriptions that serve them
  const endpoints = new Endpoints();
  const counted = (api: BrokerApi) => endpoints.add(api, subject(api));
  const subs: Subscription[] = apis.map(([api, handler]) => serve(nc, subject(api), handler, { log, stats: counted(api) }));
  // pull serves itself: a held pull keeps its reply subject, not the request (memory per held pull)
  subs.push(pull.serve(nc, subject("pull"), counted("pull")));
  subs.push(serve(nc, subj.metrics(`${group}-${replica}`), () => brokerMetrics({
    cluster: opts.cluster ?? "DefaultCluster", group, replica, startedAt, store, replication, counters, endpoints: endpoints.all, timers: () => ctx.timers.status(),
    transactions: () => transactions.summary(),
  }), { log }));
  subs.push(serve(nc, subj.machines(`${group}-${replica}`), () => inspector.machinesNow(), { log }));
  subs.push(...serveDiscovery(nc, {
    name: ServiceName.broker, id: `${group}-${replica}`, description: `Rocketbus broker replica ${node}`, endpoints: endpoints.all, startedAt, log,
    metadata: () => ({ node: `${group}-${replica}`, cluster: opts.cluster ?? "DefaultCluster", group, replica: `${replica}`,
      role: replication.role(), term: `${replication.term()}`, prefix: subj.prefix }),
  }));
  await nc.flush();
  registrationActor = startRegistration({ nc, prefix: opts.prefix, heartbeatIntervalMs, registration, session, log, clock, inspect: inspector.observer });
  log.info("broker started", { role: replication.role(), term: replication.term(), replicas, dataDir: opts.dataDir, topics: topics.all().length });

  return {
    group,
    replica,
    store,
    registration: registrationActor,
    replication,
    async stop() {
      await stopRegistration(registrationActor!);
      transactions.stop();
      await timerService.stop();
      await replication.stop();
      clock.clear(expiry);
      consumers.close();
      await Promise.all(subs.map((s) => s.drain()));
      pull.releaseAll();
      await store.close();
      log.info("broker stopped");
    },
  };
}
