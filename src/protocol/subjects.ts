// Every NATS subject Rocketbus uses is built here and nowhere else.
// See docs/subjects.md for who listens on each and what it carries.

/** The APIs one broker replica serves under rbus.broker.<group>.<replica>. */
export const BrokerApi = {
  send: "send",
  sendBatch: "send.batch",
  pull: "pull",
  offsetCommit: "offset.commit",
  offsetQuery: "offset.query",
  topicUpsert: "topic.upsert",
  topicList: "topic.list",
  clientHeartbeat: "client.heartbeat",
  clientUnregister: "client.unregister",
  status: "status",
  message: "message",
  haFetch: "ha.fetch",
  /** A slave copies the master's topic configs and consumer offsets. */
  haConfig: "ha.config",
  /** The master hands over: the target campaigns at once. */
  haTransfer: "ha.transfer",
  /** A new master announces its term, so slaves follow it at once. */
  haBegin: "ha.begin",
  /** Admin, on the master: hand mastership to another replica ({to?}). */
  failover: "failover",
  /** Who the replica is: {group, replica, fingerprint, startedAt}; NameServers check registrations against it. */
  identity: "identity",
  /** Min and max offset and last store time per queue of a topic (mqadmin topicStatus). */
  topicStatus: "topic.status",
  /** Admin, on the master: the topic's config, consume queues and offsets go; the commit log stays until retention. */
  topicDelete: "topic.delete",
  /** Members of a consumer group with what their heartbeats say (mqadmin consumerConnection). */
  consumerConnection: "consumer.connection",
  /** A group's offsets, lag and owner per queue (mqadmin consumerProgress). */
  consumerProgress: "consumer.progress",
  /** Admin, on the master: a group's offsets to a time, or to first or last (mqadmin resetOffsetByTime). */
  offsetReset: "offset.reset",
  /** Admin, on the master: a consumer group's settings (mqadmin updateSubGroup). */
  subgroupUpsert: "subgroup.upsert",
  /** Consumer groups' settings stored on this broker. */
  subgroupList: "subgroup.list",
  /** A push consumer hands a message back to see it later (RocketMQ's consumerSendMsgBack): retry topic or DLQ. */
  sendBack: "consumer.sendback",
  /** Orderly consumers lease queue locks on the master (RocketMQ's lockBatchMQ / unlockBatchMQ). */
  lockBatch: "lock.batch",
  unlockBatch: "unlock.batch",
  /** A producer settles its half message: commit or rollback (RocketMQ's endTransaction). */
  txEnd: "tx.end",
  /** A producer stores a half message of its producer group (a send with TRAN_MSG=true and PGROUP). */
  sendHalf: "send.half",
} as const;
export type BrokerApi = (typeof BrokerApi)[keyof typeof BrokerApi];

/**
 * APIs whose subject ends in the consumer group they act for:
 * rbus.broker.<group>.<replica>.offset.commit.<consumerGroup>, or, for
 * tx.end and send.half, the producer group. NATS permissions cannot look
 * inside a payload, so a right that depends on the group (only billing's
 * members commit billing's offsets, only the payments producers store and
 * settle payments' halves) must be in the subject. The broker refuses a
 * payload naming another group.
 */
export const GroupScopedApis = [
  BrokerApi.offsetCommit,
  BrokerApi.clientHeartbeat,
  BrokerApi.clientUnregister,
  BrokerApi.sendBack,
  BrokerApi.lockBatch,
  BrokerApi.unlockBatch,
  BrokerApi.txEnd,
  BrokerApi.sendHalf,
] as const;
export type GroupScopedApi = (typeof GroupScopedApis)[number];
/** A group-scoped API with its consumer group, as a replica's address takes it. */
export type ScopedApi = `${GroupScopedApi}.${string}`;

export function isGroupScoped(api: string): api is GroupScopedApi {
  return (GroupScopedApis as readonly string[]).includes(api);
}

/** "offset.commit.billing": the API for one consumer group (or, for tx.end and send.half, producer group). */
export function scopedApi(api: GroupScopedApi, group: string): ScopedApi {
  return `${api}.${token(api === BrokerApi.txEnd || api === BrokerApi.sendHalf ? "producer group" : "consumer group", group)}`;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** A name used as one subject token: no dots, wildcards or spaces. */
export function isSubjectToken(s: unknown): s is string {
  return typeof s === "string" && s.length > 0 && s.length <= 128 && TOKEN.test(s);
}

/**
 * A topic name, as RocketMQ's Validators check it: letters, digits, '-',
 * '_', and '%' and '|' for system topics (%RETRY%<group>), at most 127.
 * Topics never appear in a subject, so they may hold what tokens may not.
 * The protocol edge and the store check the same rule.
 */
export function isTopicName(s: unknown): s is string {
  return typeof s === "string" && s.length > 0 && s.length <= 127 && TOPIC.test(s);
}
const TOPIC = /^[%|A-Za-z0-9_-]+$/;

/** NATS subject matching: `*` matches one token, a final `>` one or more. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length || (p[i] !== "*" && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

function token(kind: string, s: string): string {
  if (!isSubjectToken(s)) {
    throw new TypeError(`${kind} "${s}" is not a valid subject token (letters, digits, '-' and '_' only)`);
  }
  return s;
}

/**
 * NATS service discovery (the micro protocol, ADR-32), outside the rbus
 * prefix so `nats micro ls` finds the nodes: every NameServer and replica
 * answers each verb on `$SRV.<verb>`, `$SRV.<verb>.<name>` and
 * `$SRV.<verb>.<name>.<id>`, its id being its node name (`ns-1`, `<g>-<r>`).
 */
export const ServiceVerb = { ping: "PING", info: "INFO", stats: "STATS" } as const;
export type ServiceVerb = (typeof ServiceVerb)[keyof typeof ServiceVerb];
/** Service names (the micro "kind"): letters, digits, '-' and '_' only. */
export const ServiceName = { nameserver: "rbus-nameserver", broker: "rbus-broker" } as const;
export type ServiceName = (typeof ServiceName)[keyof typeof ServiceName];

export const srvSubjects = {
  all: (verb: ServiceVerb) => `$SRV.${verb}`,
  named: (verb: ServiceVerb, name: string) => `$SRV.${verb}.${token("service name", name)}`,
  instance: (verb: ServiceVerb, name: string, id: string) => `$SRV.${verb}.${token("service name", name)}.${token("service id", id)}`,
};

export type Subjects = ReturnType<typeof subjects>;

export function subjects(prefix = "rbus") {
  const p = prefix.split(".").map((t) => token("prefix", t)).join(".");
  return {
    prefix: p,
    ns: {
      register: `${p}.ns.register`,
      unregister: `${p}.ns.unregister`,
      route: `${p}.ns.route`,
      cluster: `${p}.ns.cluster`,
      /** Every NameServer answers: used to list them and count them. */
      info: `${p}.ns.info`,
      /** A NameServer started or reconnected: every broker registers again at once (NameServerHello). */
      hello: `${p}.ns.hello`,
      /** Queue group the NameServers share for one-answers requests. */
      queueGroup: `${p}-ns`,
    },
    /** rbus.broker.<group>.<replica>: the prefix a replica registers as its address. */
    brokerBase: (group: string, replica: number) => `${p}.broker.${token("group", group)}.${replica}`,
    broker: (group: string, replica: number, api: BrokerApi | ScopedApi) =>
      `${p}.broker.${token("group", group)}.${replica}.${api}`,
    /** A replica's API from the address it registered (a route's `address`). */
    brokerApi: (address: string, api: BrokerApi | ScopedApi) => `${address}.${api}`,
    /** What a replica subscribes to for a group-scoped API: every consumer group's subject. */
    brokerScoped: (group: string, replica: number, api: GroupScopedApi) => `${p}.broker.${token("group", group)}.${replica}.${api}.*`,
    vote: (group: string) => `${p}.broker.${token("group", group)}.vote`,
    events: {
      all: `${p}.events.>`,
      liveness: (group: string, replica: number) => `${p}.events.liveness.${token("group", group)}.${replica}`,
      /** Membership of a consumer group changed on a broker: members rebalance at once. */
      consumers: (group: string) => `${p}.events.consumers.${token("group", group)}`,
      /** A consumer group's offsets were reset on a broker (OffsetResetNotice): members holding those queues move at once. */
      reset: (group: string) => `${p}.events.reset.${token("group", group)}`,
      /** What a broker replica's store found at open: damaged ranges, a torn tail, clamped offsets. */
      store: (group: string, replica: number) => `${p}.events.store.${token("group", group)}.${replica}`,
      /** Role changes, truncations and elections of a group's replicas (RoleEvent). */
      role: (group: string) => `${p}.events.role.${token("group", group)}`,
      /** A message went to a consumer group's dead-letter topic (DlqEvent). */
      dlq: (group: string) => `${p}.events.dlq.${token("group", group)}`,
      /** A half message was committed, rolled back or checked for a producer group (TransactionEvent). */
      transaction: (group: string) => `${p}.events.transaction.${token("group", group)}`,
      kind: (kind: string) => `${p}.events.${token("kind", kind)}.>`,
    },
    /**
     * The broker asks a producer group about a half message left unsettled
     * (RocketMQ's checkTransactionState): the group's live members answer in a
     * NATS queue group, so one of them does.
     */
    producerCheck: (producerGroup: string) => `${p}.producer.${token("producer group", producerGroup)}.check`,
    inspect: (node: string) => `${p}.inspect.${token("node", node)}`,
    inspectAll: `${p}.inspect.>`,
    /** A node's counters as JSON (NodeMetrics, src/protocol/metrics.ts), asked by the exporter and scripts. */
    metrics: (node: string) => `${p}.metrics.${token("node", node)}`,
    metricsAll: `${p}.metrics.*`,
    /** A server node's machines as they are now (MachinesNow, src/runtime/inspect.ts): a late reader of rbus.inspect.> starts from it. */
    machines: (node: string) => `${p}.machines.${token("node", node)}`,
    /** The JetStream stream that keeps rbus.events.> history. */
    eventsStream: `${p.replace(/[.-]/g, "_").toUpperCase()}_EVENTS`,
  };
}
