// A broker replica: its message store, the APIs it serves under
// rbus.broker.<group>.<replica>.*, and its registration with every
// NameServer (carrying its topic table, re-sent at once when it changes).
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  encodeJson,
  parseObject,
  subjects,
  type BrokerApi,
  type BrokerRegistration,
  type ConsumerMembers,
  type Role,
} from "../src/protocol/index.js";
import { MessageStore, type StoreOptions } from "../src/store/index.js";
import { silentLogger, type Logger } from "../src/runtime/log.js";
import { adminHandlers } from "./broker-admin.js";
import type { BrokerContext } from "./broker-context.js";
import { offsetHandlers } from "./broker-offsets.js";
import { pullHandler } from "./broker-pull.js";
import { maxPayload, replyBudget, REQUEST_HEADROOM } from "./reply-limits.js";
import { startRegistration, stopRegistration, type RegistrationActor } from "./broker-registration.js";
import { sendHandlers } from "./broker-send.js";
import { publishRecoveryEvents } from "./store-events.js";
import { BrokerTopics } from "./broker-topics.js";
import { ConsumerTable } from "./consumer-table.js";
import { serve, type Handler } from "./responder.js";

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
  /** Largest message body accepted (default 4 MiB). */
  maxMessageBytes?: number;
  /** Store settings: flush mode, segment size, retention… */
  store?: StoreOptions;
  /** Replicas of the group and how a master is chosen (docs/replication.md); absent: one replica. */
  replication?: { replicas: number; failover: "auto" | "manual"; ack: "quorum" | "leader"; electionTimeoutMs: number; readFromSlaveBytes?: number };
  log?: Logger;
}

export interface BrokerHandle {
  group: string;
  replica: number;
  store: MessageStore;
  registration: RegistrationActor;
  stop(): Promise<void>;
}

export async function startBroker(opts: BrokerOptions): Promise<BrokerHandle> {
  const { nc, group, replica } = opts;
  const subj = subjects(opts.prefix);
  const node = `${group}.${replica}`;
  const log = (opts.log ?? silentLogger).child({ node });
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 30_000;
  // A message must fit the request that brings it and the pull reply that takes it away.
  const maxMessageBytes = Math.min(opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, maxPayload(nc) - REQUEST_HEADROOM);
  const startedAt = Date.now();
  const role: Role = replica === 0 ? "master" : "slave";

  // The store's limit is on the whole record (body, topic, tags, keys and
  // properties); the broker's on the body, checked first.
  const store = await MessageStore.open(opts.dataDir, {
    maxMessageBytes: Math.min(maxMessageBytes + 256 * 1024, replyBudget(nc)),
    ...opts.store,
    onError: (err: unknown) => log.error("store error", { error: String(err) }),
    log: log.child({ component: "store" }),
  });
  if (store.recovery.abnormal) log.warn("recovered after an unclean stop", { ...store.recovery });
  publishRecoveryEvents(nc, subj, store.recovery, group, replica);

  let registrationActor: RegistrationActor | undefined;
  const topics = new BrokerTopics(store.topics, opts.autoCreateTopic ?? true, () => registrationActor?.send({ type: "TOPICS_CHANGED" }), log);
  const ctx: BrokerContext = {
    group, replica, store, topics, maxMessageBytes, log,
    replyBudget: () => replyBudget(nc),
    isMaster: () => role === "master",
  };

  const consumers = new ConsumerTable((consumerGroup, members) => {
    const event: ConsumerMembers = { group: consumerGroup, members, broker: subj.brokerBase(group, replica) };
    log.debug("consumer group changed", { group: consumerGroup, members: members.length });
    nc.publish(subj.events.consumers(consumerGroup), encodeJson(event));
  });
  const expiry = setInterval(() => consumers.expire(Date.now()), 1000);

  const registration = (): BrokerRegistration => ({
    cluster: opts.cluster ?? "DefaultCluster",
    group,
    replica,
    role,
    term: 0,
    address: subj.brokerBase(group, replica),
    heartbeatIntervalMs,
    topics: topics.all(),
    startedAt,
  });

  const send = sendHandlers(ctx);
  const pull = pullHandler(ctx);
  const offsets = offsetHandlers(ctx);
  const admin = adminHandlers(ctx, consumers);
  const status = (msg: { data: Uint8Array }) => {
    parseObject(msg.data);
    const reg = registrationActor!.getSnapshot();
    return {
      ...registration(),
      registration: reg.value,
      nameServers: reg.context.answered,
      store: store.stats(),
      pullsHeld: pull.held(),
      consumerGroups: consumers.groupNames().map((g) => ({ group: g, members: consumers.members(g) })),
    };
  };
  const apis: Array<[BrokerApi, Handler]> = [
    ["send", send.send],
    ["send.batch", send.sendBatch],
    ["pull", pull.pull],
    ["offset.commit", offsets.commit],
    ["offset.query", offsets.query],
    ["topic.upsert", admin.topicUpsert],
    ["topic.list", admin.topicList],
    ["message", admin.message],
    ["client.heartbeat", admin.heartbeat],
    ["client.unregister", admin.unregister],
    ["status", status],
  ];
  const subs: Subscription[] = apis.map(([api, handler]) => serve(nc, subj.broker(group, replica, api), handler, { log }));
  await nc.flush();
  registrationActor = startRegistration({ nc, prefix: opts.prefix, heartbeatIntervalMs, registration, log });
  log.info("broker started", { role, dataDir: opts.dataDir, topics: topics.all().length });

  return {
    group,
    replica,
    store,
    registration: registrationActor,
    async stop() {
      await stopRegistration(registrationActor!);
      clearInterval(expiry);
      await Promise.all(subs.map((s) => s.drain()));
      pull.releaseAll();
      await store.close();
      log.info("broker stopped");
    },
  };
}
