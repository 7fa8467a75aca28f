// Every request subject the nodes answer, with the shape of its request
// (src/protocol/types.ts, messages.ts, replication.ts). Adding a subject
// is one line here. `node` says who answers: the NameServer, the
// single-replica broker (data plane), a replica of the replicated group
// (its replication APIs, by replica id), or every replica of the group
// (the vote subject).
import fc from "fast-check";
import { BrokerApi, MAX_PULL, MAX_QUEUES, MAX_REPLICA, MAX_WAIT_MS } from "../../src/protocol/index.js";
import { jsonRequest, jsonRequests, Payload } from "./payload.js";
import { rawSendPayload } from "./raw-headers.js";
import { batchPayload, halfPayload, sendPayload } from "./send-payloads.js";
import { boolK, enumK, intK, nameK, offsetK, strK, type Kind, type Shape } from "./shape.js";

export type Node = "ns" | "broker" | "replica" | "group";
export type Answer = "json" | "binary";

export interface SubjectCase {
  name: string;
  node: Node;
  /** A NameServer subject's key in subjects().ns, or the broker API. */
  api: string;
  payload: fc.Arbitrary<Payload>;
  /** json: a valid answer is a JSON object; binary: any bytes (a frame, records). */
  answer?: Answer;
  /** How long the node may legitimately hold this request (a long poll, a hand-over). */
  holdMs?: (p: Payload) => number;
  /** Every listener answers: collect them all. */
  many?: boolean;
  /** The subject ends in the request's consumer group (when the broker serves it that way). */
  scoped?: boolean;
  /** Served only by newer brokers: skipped, with a note, when nobody answers it. */
  optional?: boolean;
  /** Answers without reading its payload, so a payload that is not JSON need not be refused. */
  ignoresPayload?: boolean;
}

/** Names the fuzz tries as valid: the topics and groups that exist, and table-breaking ones that are legal tokens. */
export const TOPIC = "fz";
const topic = nameK(TOPIC, TOPIC, "fz2", "TBW102", "__proto__", "constructor", "prototype", "n".repeat(128));
const consumerGroup = nameK("cg-1", "cg-2", "__proto__", "constructor", "hasOwnProperty");
const brokerGroup = nameK("ghost-1", "ghost-2", "__proto__", "constructor", "fuzz-a", "fuzz-r");
const queueId = intK(0, 65_535, [0, 3]);
/**
 * Stands for the replicated group's current term, written in when the request
 * is sent: the fuzz raises terms, and a request at a stale term stops at the
 * first check.
 */
export const TERM_NOW = 7_070_707;
const term: Kind = { t: "int", min: 0, max: Number.MAX_SAFE_INTEGER, valid: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constant(TERM_NOW), fc.constant(TERM_NOW)) };
const topicConfig: Kind = { t: "object", shape: [
  { key: "topic", kind: topic }, { key: "readQueues", kind: intK(0, MAX_QUEUES, [1, 8]) },
  { key: "writeQueues", kind: intK(0, MAX_QUEUES, [1, 8]) }, { key: "perm", kind: enumK("rw", "r", "w", "none") },
] };
const subscription: Kind = { t: "object", shape: [{ key: "topic", kind: topic }, { key: "tags", kind: strK("*", "tagA", "tagA || tagB") }] };
const heldQueue: Kind = { t: "object", shape: [{ key: "topic", kind: topic }, { key: "queueId", kind: queueId }] };
const lockQueue: Kind = { t: "object", shape: [{ key: "topic", kind: topic }, { key: "queueId", kind: queueId }, { key: "held", kind: boolK, optional: true }] };
const offsetEntry: Kind = {
  t: "object",
  shape: [{ key: "topic", kind: topic }, { key: "queueId", kind: queueId }, { key: "offset", kind: offsetK() }, { key: "lock", kind: intK(0, 0x7fffffff, [1, 5]), optional: true }],
};

const waitOf = (p: Payload, max: number) => {
  const w = (p.parsed() as { waitMs?: unknown } | undefined)?.waitMs;
  return typeof w === "number" && w >= 0 && w <= max ? w : 0;
};

/** A send-back's msgId naming its own commitLogOffset on fuzz-a (valid: 0, the log's first record), so requests reach the record and the retry or DLQ copy. */
const SAME_ID = "fuzz-a:SAME";
function sameId(p: Payload): Payload {
  const offset = (p.parsed() as { commitLogOffset?: unknown } | undefined)?.commitLogOffset;
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) return p;
  return p.filled(SAME_ID, `fuzz-a:${offset.toString(16).padStart(16, "0")}`);
}

const OWN = "rbus.broker.ghost-1.0";
/** A broker process's secret as registrations carry it (lenient: older NameServers ignore it). */
const session = strK("00112233445566778899aabbccddeeff", "f".repeat(128), "0".repeat(32));
/** The placeholder address becomes the replica's own, so the registration gets past the address check. */
function ownAddress(p: Payload): Payload {
  const o = p.parsed() as { group?: unknown; replica?: unknown } | undefined;
  if (typeof o?.group !== "string" || typeof o.replica !== "number") return p;
  return p.filled(JSON.stringify(OWN), JSON.stringify(`rbus.broker.${o.group}.${o.replica}`));
}

/** A registration from a broker that is not there, or forged for one that is; the address is lenient: the NameServer's own check. */
const registration: fc.Arbitrary<Payload> = jsonRequest([
    { key: "cluster", kind: nameK("DefaultCluster", "__proto__") }, { key: "group", kind: brokerGroup },
    { key: "replica", kind: intK(0, MAX_REPLICA, [0, 2]) }, { key: "role", kind: enumK("master", "slave", "candidate") },
    { key: "term", kind: term }, { key: "address", kind: strK(OWN, OWN, "rbus.broker.fuzz-a.0", "evil.sink", "x.>", "a b >"), lenient: true },
    { key: "heartbeatIntervalMs", kind: intK(1, Number.MAX_SAFE_INTEGER, [1000, 30_000]) },
    { key: "topics", kind: { t: "array", item: topicConfig, maxLength: 100_000 } }, { key: "startedAt", kind: offsetK([1, 1e12]) },
    { key: "replicas", kind: intK(1, MAX_REPLICA + 1, [1, 3]), optional: true }, { key: "commitOffset", kind: offsetK(), optional: true },
    { key: "end", kind: offsetK(), optional: true }, { key: "masterReplica", kind: intK(-1, MAX_REPLICA, [-1, 2]), optional: true },
    { key: "session", kind: session, lenient: true }, { key: "seq", kind: offsetK(), optional: true },
    { key: "page", kind: intK(0, 64, [0, 0]), optional: true, lenient: true }, { key: "pages", kind: intK(1, 64, [1, 1]), optional: true, lenient: true },
]).map(ownAddress);

export const SUBJECTS: SubjectCase[] = [
  { name: "ns.register", node: "ns", api: "register", payload: registration },
  { name: "ns.unregister", node: "ns", api: "unregister", payload: jsonRequest([{ key: "group", kind: brokerGroup }, { key: "replica", kind: intK(0, MAX_REPLICA, [0, 2]) }, { key: "session", kind: session, lenient: true }]) },
  { name: "ns.route", node: "ns", api: "route", payload: jsonRequest([{ key: "topic", kind: topic }]) },
  { name: "ns.cluster", node: "ns", api: "cluster", payload: jsonRequest([]) },
  { name: "ns.info", node: "ns", api: "info", payload: jsonRequest([]) },
  { name: "send", node: "broker", api: BrokerApi.send, payload: sendPayload },
  { name: "send-raw", node: "broker", api: BrokerApi.send, payload: rawSendPayload },
  { name: "send.batch", node: "broker", api: BrokerApi.sendBatch, payload: batchPayload, answer: "binary" },
  // a half stored here is never settled by the fuzz: its checks go unanswered
  { name: "send.half", node: "broker", api: BrokerApi.sendHalf, payload: halfPayload, scoped: true },
  {
    name: "pull", node: "broker", api: BrokerApi.pull, answer: "binary", holdMs: (p) => waitOf(p, MAX_WAIT_MS),
    payload: jsonRequest([
      { key: "group", kind: consumerGroup }, { key: "topic", kind: topic }, { key: "queueId", kind: queueId }, { key: "offset", kind: offsetK() },
      { key: "max", kind: intK(1, MAX_PULL, [1, 32]), optional: true }, { key: "waitMs", kind: intK(0, MAX_WAIT_MS, [0, 50], true), optional: true },
      { key: "tags", kind: strK("*", "tagA", "tagA || tagB", "*||*"), optional: true }, { key: "format", kind: enumK("json", "binary"), optional: true },
    ]),
  },
  {
    name: "offset.commit", node: "broker", api: BrokerApi.offsetCommit, scoped: true,
    payload: jsonRequests(
      [{ key: "group", kind: consumerGroup }, { key: "topic", kind: topic }, { key: "queueId", kind: queueId }, { key: "offset", kind: offsetK([0, 5]) }],
      [{ key: "group", kind: consumerGroup }, { key: "clientId", kind: nameK("c-1", "c-2", "__proto__"), optional: true },
        { key: "entries", kind: { t: "array", item: offsetEntry, maxLength: 100_000 } }],
    ),
  },
  {
    // a forged offset, another broker group's id, a system record: each refused, nothing stored
    name: "consumer.sendback", node: "broker", api: BrokerApi.sendBack, scoped: true,
    payload: jsonRequest([
      { key: "group", kind: consumerGroup }, { key: "commitLogOffset", kind: offsetK([0, 0]) },
      { key: "msgId", kind: strK(SAME_ID, SAME_ID, "fuzz-a:0000000000000100", "ghost-1:0000000000000000", "x", "") },
      { key: "delayLevel", kind: intK(-1, 1000, [-1, 20]), optional: true }, { key: "maxReconsumeTimes", kind: intK(0, 1000, [0, 16]), optional: true },
    ]).map(sameId),
  },
  {
    // forged offsets, ordinary records, other groups' ids: refused; the fuzz sends no half, so nothing is settled
    name: "tx.end", node: "broker", api: BrokerApi.txEnd, scoped: true,
    payload: jsonRequest([
      { key: "producerGroup", kind: nameK("cg-1", "pg-1", "__proto__", "constructor") }, { key: "commitLogOffset", kind: offsetK([0, 4096]) },
      { key: "msgId", kind: strK("fuzz-a:0000000000000000", "fuzz-a:0000000000000100", "ghost-1:0000000000000000", "x", "") },
      { key: "action", kind: enumK("commit", "rollback") }, { key: "fromCheck", kind: boolK, optional: true },
    ]),
  },
  {
    name: "offset.query", node: "broker", api: BrokerApi.offsetQuery,
    payload: jsonRequests(
      // without queueId: every queue of the topic
      [{ key: "group", kind: consumerGroup }, { key: "topic", kind: topic }, { key: "queueId", kind: queueId, optional: true }],
      // by time: without queueId it answers for every queue of the topic too
      [{ key: "topic", kind: topic }, { key: "queueId", kind: queueId, optional: true }, { key: "timestamp", kind: offsetK([0, 2e12]) }],
    ),
  },
  { name: "topic.upsert", node: "broker", api: BrokerApi.topicUpsert, payload: jsonRequest((topicConfig as { shape: Shape }).shape) },
  { name: "topic.status", node: "broker", api: BrokerApi.topicStatus, optional: true, payload: jsonRequest([{ key: "topic", kind: topic }]) },
  // the fuzz's own topic is kept: the ledger sends to it throughout
  { name: "topic.delete", node: "broker", api: BrokerApi.topicDelete, optional: true, payload: jsonRequest([{ key: "topic", kind: nameK("fz2", "TBW102", "__proto__", "constructor", "gone") }]) },
  {
    name: "offset.reset", node: "broker", api: BrokerApi.offsetReset, optional: true,
    payload: jsonRequests(
      [{ key: "group", kind: consumerGroup }, { key: "topic", kind: topic }, { key: "queueId", kind: queueId, optional: true },
        { key: "timestamp", kind: offsetK([0, 2e12]) }, { key: "create", kind: boolK, optional: true }],
      [{ key: "group", kind: consumerGroup }, { key: "topic", kind: topic }, { key: "queueId", kind: queueId, optional: true },
        { key: "to", kind: enumK("first", "last") }, { key: "create", kind: boolK, optional: true }],
    ),
  },
  { name: "consumer.connection", node: "broker", api: BrokerApi.consumerConnection, optional: true, payload: jsonRequest([{ key: "group", kind: consumerGroup }]) },
  { name: "consumer.progress", node: "broker", api: BrokerApi.consumerProgress, optional: true, payload: jsonRequest([{ key: "group", kind: consumerGroup }, { key: "topic", kind: topic, optional: true }]) },
  {
    name: "subgroup.upsert", node: "broker", api: BrokerApi.subgroupUpsert, optional: true,
    payload: jsonRequest([
      // never cg-1, which the ledger's consumer reads as: disabling it would stop the final check
      { key: "group", kind: nameK("cg-2", "__proto__", "constructor", "hasOwnProperty") }, { key: "consumeMode", kind: enumK("clustering", "broadcasting"), optional: true },
      { key: "retryMaxTimes", kind: intK(0, 1000, [0, 16]), optional: true }, { key: "consumeEnable", kind: boolK, optional: true },
    ]),
  },
  { name: "subgroup.list", node: "broker", api: BrokerApi.subgroupList, optional: true, payload: jsonRequest([{ key: "group", kind: consumerGroup, optional: true }]) },
  { name: "topic.list", node: "broker", api: BrokerApi.topicList, payload: jsonRequest([]) },
  {
    name: "client.heartbeat", node: "broker", api: BrokerApi.clientHeartbeat, scoped: true,
    payload: jsonRequest([
      { key: "clientId", kind: nameK("c-1", "c-2", "__proto__", "constructor") }, { key: "group", kind: consumerGroup },
      { key: "mode", kind: enumK("clustering", "broadcasting") }, { key: "topics", kind: { t: "array", item: topic, maxLength: 100_000 } },
      { key: "ttlMs", kind: intK(100, 600_000, [100, 2000]), optional: true },
      { key: "host", kind: strK("h-1", "__proto__"), optional: true }, { key: "version", kind: strK("0.1.0"), optional: true },
      { key: "subscriptions", kind: { t: "array", item: subscription, maxLength: 256 }, optional: true },
      { key: "queues", kind: { t: "array", item: heldQueue, maxLength: 1024 }, optional: true },
    ]),
  },
  { name: "client.unregister", node: "broker", api: BrokerApi.clientUnregister, scoped: true, payload: jsonRequest([{ key: "group", kind: consumerGroup }, { key: "clientId", kind: nameK("c-1", "c-2", "__proto__") }]) },
  ...(["lock.batch", "unlock.batch"] as const).map((name) => ({
    name, node: "broker" as const, api: name === "lock.batch" ? BrokerApi.lockBatch : BrokerApi.unlockBatch, scoped: true,
    payload: jsonRequest([
      { key: "group", kind: consumerGroup }, { key: "clientId", kind: nameK("c-1", "c-2", "__proto__") },
      { key: "queues", kind: { t: "array", item: lockQueue, maxLength: 2048 } },
    ]),
  })),
  { name: "status", node: "broker", api: BrokerApi.status, payload: jsonRequest([]) },
  {
    name: "message", node: "broker", api: BrokerApi.message,
    payload: jsonRequests(
      [{ key: "msgId", kind: { t: "str", valid: fc.integer({ min: 0, max: 4096 }).map((o) => `fuzz-a:${o.toString(16).padStart(16, "0")}`) } }],
      [{ key: "topic", kind: topic }, { key: "key", kind: strK("k1", "__proto__", "a b") }, { key: "max", kind: intK(1, 1000, [1, 32]), optional: true }],
      [{ key: "topic", kind: topic }, { key: "queueId", kind: queueId }, { key: "offset", kind: offsetK([0, 5]) }, { key: "max", kind: intK(1, 1000, [1, 32]), optional: true }],
    ),
  },
  { name: "identity", node: "broker", api: "identity", optional: true, payload: jsonRequest([]) },
  {
    name: "ha.fetch", node: "replica", api: BrokerApi.haFetch, answer: "binary", holdMs: (p) => waitOf(p, 60_000),
    payload: jsonRequest([
      { key: "replica", kind: intK(0, MAX_REPLICA, [0, 2]) }, { key: "term", kind: term }, { key: "offset", kind: offsetK([0, 4096]) },
      { key: "lastTerm", kind: term }, { key: "maxBytes", kind: intK(1, 64 * 1024 * 1024, [1, 65_536]) },
      { key: "waitMs", kind: intK(0, 60_000, [0, 20], true) }, { key: "commit", kind: offsetK([0, 4096]), optional: true },
    ]),
  },
  { name: "ha.config", node: "replica", api: BrokerApi.haConfig, payload: jsonRequest([]) },
  { name: "ha.transfer", node: "replica", api: BrokerApi.haTransfer, payload: jsonRequest([{ key: "term", kind: term }]) },
  { name: "ha.begin", node: "replica", api: BrokerApi.haBegin, payload: jsonRequest([{ key: "term", kind: term }, { key: "master", kind: intK(0, MAX_REPLICA, [0, 2]) }]) },
  { name: "failover", node: "replica", api: BrokerApi.failover, holdMs: () => 6000, payload: jsonRequest([{ key: "to", kind: intK(0, 2, [0, 2]), optional: true }]) },
  {
    name: "vote", node: "group", api: "vote", many: true,
    payload: jsonRequest([
      { key: "from", kind: intK(0, MAX_REPLICA, [0, 3]) }, { key: "term", kind: term }, { key: "preVote", kind: boolK },
      { key: "transfer", kind: boolK }, { key: "lastTerm", kind: term }, { key: "lastOffset", kind: offsetK([0, 4096]) },
    ]),
  },
];
