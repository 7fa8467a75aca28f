// What each kind of Rocketbus process may publish and subscribe to on NATS,
// written once as data. `rbus auth init` turns these rules into one NATS
// user per process (users.ts), filling in the names: the NameServer's id,
// the broker's group and replica, the consumer's group. NATS permissions
// cannot look inside payloads, so every right that depends on a name has
// that name in the subject (docs/protocol.md, docs/security.md).
//
// Placeholders: {p} the subject prefix, {user} the user's own name, {g} and
// {r} a broker's group and replica, {cg} a consumer's group, {node} every
// server node's inspect name (NameServer ids, `<g>-<r>`), {stream} the
// events stream. Every user also subscribes to its own inbox
// `_INBOX.{user}.>` and nothing else's, so no one reads another's replies.

import { ServiceName } from "../protocol/index.js";

export const Role = {
  nameserver: "nameserver",
  broker: "broker",
  producer: "producer",
  consumer: "consumer",
  admin: "admin",
  dashboard: "dashboard",
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export interface RoleRule {
  /** In words, for nats.conf, docs/security.md and `rbus auth init`. */
  rights: string;
  publish: readonly string[];
  /** Published subjects refused even when `publish` allows them. */
  denyPublish?: readonly string[];
  subscribe: readonly string[];
  /** A responder: may answer each request it receives, once, on its reply subject. */
  responds: boolean;
}

/**
 * Service discovery (ADR-32, subjects.ts's srvSubjects): a node hears every
 * verb bare, with its own service name, and with its name and own id (its
 * user name), never another service's or instance's, so no node answers
 * `$SRV.INFO.<name>.<id>` in another's place.
 */
const discovery = (name: ServiceName) => ["$SRV.PING", "$SRV.INFO", "$SRV.STATS", `$SRV.*.${name}`, `$SRV.*.${name}.{user}`];

/** JetStream API reads of one stream: info, get, and ordered (ephemeral) consumers. */
const streamReads = [
  "$JS.API.INFO",
  "$JS.API.STREAM.INFO.{stream}",
  "$JS.API.STREAM.MSG.GET.{stream}",
  "$JS.API.DIRECT.GET.{stream}",
  "$JS.API.DIRECT.GET.{stream}.>",
  "$JS.API.CONSUMER.CREATE.{stream}",
  "$JS.API.CONSUMER.CREATE.{stream}.>",
  "$JS.API.CONSUMER.INFO.{stream}.>",
  "$JS.API.CONSUMER.DELETE.{stream}.>",
  "$JS.API.CONSUMER.MSG.NEXT.{stream}.>",
] as const;

export const ROLES: Record<Role, RoleRule> = {
  nameserver: {
    rights:
      "serves rbus.ns.> (register, unregister, route, cluster, info); announces itself on rbus.ns.hello; " +
      "publishes liveness events and its own inspect stream; asks a broker replica's identity to check a registration; " +
      "answers service discovery ($SRV), its own metrics (rbus.metrics.<id>) and machines (rbus.machines.<id>) as itself",
    publish: ["{p}.ns.hello", "{p}.events.liveness.>", "{p}.inspect.{user}", "{p}.broker.*.*.identity"],
    subscribe: ["{p}.ns.>", "{p}.metrics.{user}", "{p}.machines.{user}", ...discovery(ServiceName.nameserver)],
    responds: true,
  },
  broker: {
    rights:
      "serves its own replica's API rbus.broker.<g>.<r>.> and its group's vote; registers and unregisters with " +
      "the NameServers; replicates, votes and passes offset commits on within its own group only; asks producer groups about their half messages; publishes " +
      "consumer, offset-reset, dead-letter, transaction, store and role events and its own inspect stream; answers service discovery ($SRV) and its own " +
      "metrics (rbus.metrics.<g>-<r>) and machines (rbus.machines.<g>-<r>) as itself",
    publish: [
      "{p}.ns.register",
      "{p}.ns.unregister",
      "{p}.broker.{g}.*.ha.>",
      "{p}.broker.{g}.vote",
      "{p}.broker.{g}.*.offset.commit.*",
      "{p}.events.consumers.*",
      "{p}.events.reset.*",
      "{p}.events.dlq.*",
      "{p}.events.transaction.*",
      "{p}.producer.*.check",
      "{p}.events.store.{g}.{r}",
      "{p}.events.role.{g}",
      "{p}.inspect.{user}",
    ],
    subscribe: ["{p}.broker.{g}.{r}.>", "{p}.broker.{g}.vote", "{p}.ns.hello", "{p}.metrics.{user}", "{p}.machines.{user}", ...discovery(ServiceName.broker)],
    responds: true,
  },
  producer: {
    rights:
      "asks routes; sends (send, send.batch) on any broker replica, and stores and settles half messages (send.half, tx.end) " +
      "of its own producer group only; publishes its own " +
      "inspect events; hears and answers the check-backs of its own producer group only (rbus.producer.<user>.check: " +
      "the user's name is its producer group)",
    publish: ["{p}.ns.route", "{p}.broker.*.*.send", "{p}.broker.*.*.send.batch", "{p}.broker.*.*.send.half.{user}", "{p}.broker.*.*.tx.end.{user}", "{p}.inspect.*"],
    denyPublish: ["{p}.inspect.{node}"],
    subscribe: ["{p}.producer.{user}.check"],
    // a check-back is a request: answering it is publishing once to its reply subject
    responds: true,
  },
  consumer: {
    rights:
      "asks routes; pulls, queries offsets and looks messages up on any broker; commits offsets, hands messages back, " +
      "heartbeats and unregisters only for its own consumer group; hears its own group's membership and offset-reset events",
    publish: [
      "{p}.ns.route",
      "{p}.broker.*.*.pull",
      "{p}.broker.*.*.offset.query",
      "{p}.broker.*.*.message",
      "{p}.broker.*.*.offset.commit.{cg}",
      "{p}.broker.*.*.client.heartbeat.{cg}",
      "{p}.broker.*.*.client.unregister.{cg}",
      "{p}.broker.*.*.lock.batch.{cg}",
      "{p}.broker.*.*.unlock.batch.{cg}",
      "{p}.broker.*.*.consumer.sendback.{cg}",
      "{p}.inspect.*",
    ],
    denyPublish: ["{p}.inspect.{node}"],
    subscribe: ["{p}.events.consumers.{cg}", "{p}.events.reset.{cg}"],
    responds: false,
  },
  admin: {
    rights:
      "publishes anything in the account: topic.upsert, topic.delete, offset commits and resets for any group, " +
      "consumer-group settings, failover, status, the " +
      "JetStream API; reads events and inspect streams; answers no request (it cannot pose as a node)",
    publish: [">"],
    subscribe: ["{p}.events.>", "{p}.inspect.>"],
    responds: false,
  },
  dashboard: {
    rights:
      "read-only: events, inspect streams, routes, the cluster table, broker status, topic lists and status, offsets, " +
      "consumer connections and progress, consumer-group settings, message lookups, the events stream's history, every node's metrics (rbus.metrics.*) and machines (rbus.machines.*), and service discovery " +
      "($SRV: nats micro ls|info|stats)",
    publish: [
      "{p}.ns.route",
      "{p}.ns.cluster",
      "{p}.ns.info",
      "{p}.broker.*.*.status",
      "{p}.broker.*.*.topic.list",
      "{p}.broker.*.*.topic.status",
      "{p}.broker.*.*.offset.query",
      "{p}.broker.*.*.consumer.connection",
      "{p}.broker.*.*.consumer.progress",
      "{p}.broker.*.*.subgroup.list",
      "{p}.broker.*.*.message",
      "{p}.metrics.*",
      "{p}.machines.*",
      "$SRV.>",
      ...streamReads,
    ],
    subscribe: ["{p}.events.>", "{p}.inspect.>"],
    responds: false,
  },
};
