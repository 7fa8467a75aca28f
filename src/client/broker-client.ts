// What a consumer asks of brokers: pull (binary form), offsets, membership.
// Requests go to the master of the queue's broker group, found in the route
// cache, and follow it as the producer does: a replica that answers
// NOT_MASTER naming the master is asked again there at once; one that does
// not answer makes the route stale, and the request is tried once more at
// once if the fresh route names another master.
//
// Reading from slaves: a pull reply may name the replica to read that queue
// from next (readFrom). The queue is then pulled there, and its offsets
// committed there (the slave passes them on to the master), until a reply
// names the master again or a request to the slave fails: then back to the
// master, at once.
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import {
  encodeJson,
  ErrorCode,
  Header,
  PullStatus,
  RbusError,
  subjects,
  type BrokerApi,
  scopedApi,
  type ScopedApi,
  type ClientHeartbeat,
  type ConsumerMembers,
  type OffsetCommitEntry,
  type OffsetCommitReply,
  type OffsetQueryReply,
  type PullRequest,
  type QueueProgress,
  type SendBackReply,
  type SendBackRequest,
  type WireMessage,
} from "../protocol/index.js";
import { decodeReply, natsError } from "../runtime/request.js";
import { decodeBinaryPull } from "./pull-decode.js";
import { queueKey, type MessageQueue, type RouteCache } from "./route-cache.js";
import { MAX_HINT_HOPS } from "./send-retry.js";

/** A message as a consumer receives it: the wire message's fields, with the body as bytes. */
export interface ConsumedMessage extends Omit<WireMessage, "body" | "bodyEncoding"> {
  /** The broker group that stores it. */
  group: string;
  /** A slice of the pull reply; copy it to keep it past the listener if the buffer matters. */
  body: Buffer;
  /** Handed back this many times before this delivery (absent: first delivery). */
  reconsumeTimes?: number;
  /** A retried or dead-lettered message: the id, topic and queue it was first consumed from. */
  originMsgId?: string;
  originTopic?: string;
  originQueueId?: number;
}

export interface PullResult {
  status: PullStatus;
  nextOffset: number;
  minOffset: number;
  maxOffset: number;
  messages: ConsumedMessage[];
  /** The replica to pull this queue from next (see PullReply.readFrom). */
  readFrom?: string;
}

export { decodeBinaryPull } from "./pull-decode.js";

type Decode<T> = (msg: Msg) => T;
const json: Decode<never> = (msg) => decodeReply<never>(msg);

const isCode = (err: unknown, code: ErrorCode) => err instanceof RbusError && err.code === code;

export interface BrokerClientOptions {
  prefix?: string;
  timeoutMs?: number;
}

/** The group has no master to answer now (gone, or none named). */
function isMasterless(err: unknown): boolean {
  return isCode(err, ErrorCode.NO_RESPONDERS) || isCode(err, ErrorCode.TIMEOUT) || isCode(err, ErrorCode.NOT_MASTER);
}

export class BrokerClient {
  readonly subj;
  private readonly timeoutMs: number;
  /** Queues read from a slave for now (queueKey → its address), as pull replies said. */
  private readonly readFrom = new Map<string, string>();

  constructor(
    readonly nc: NatsConnection,
    readonly routes: RouteCache,
    opts: BrokerClientOptions = {},
  ) {
    this.subj = subjects(opts.prefix);
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

  /** The master's address of a broker group serving `topic`; TOPIC_NOT_EXIST / NO_RESPONDERS when there is none. */
  async address(topic: string, group: string): Promise<string> {
    const route = await this.routes.get(topic);
    const address = this.routes.master(route, group);
    if (!address) {
      this.routes.invalidate(topic);
      throw new RbusError(ErrorCode.NO_RESPONDERS, `broker group ${group} has no master serving ${topic}`);
    }
    return address;
  }

  /** The slaves of `group` the route lists as not dead, alive ones first. */
  private async slaves(topic: string, group: string): Promise<string[]> {
    const route = await this.routes.get(topic).catch(() => undefined);
    const replicas = (route?.groups.find((g) => g.group === group)?.replicas ?? []).filter((r) => r.role !== "master" && r.liveness !== "dead");
    return [...replicas.filter((r) => r.liveness === "alive"), ...replicas.filter((r) => r.liveness !== "alive")].map((r) => r.address);
  }

  /** The replica `q` is read from now: a slave a pull reply named, else undefined (the master). */
  readsFrom(q: MessageQueue): string | undefined {
    return this.readFrom.get(queueKey(q));
  }

  private async request<T>(address: string, api: BrokerApi | ScopedApi, body: unknown, timeoutMs: number, decode: Decode<T>): Promise<T> {
    const subject = this.subj.brokerApi(address, api);
    let msg: Msg;
    try {
      msg = await this.nc.request(subject, encodeJson(body), { timeout: timeoutMs });
    } catch (err) {
      throw natsError(err, subject);
    }
    return decode(msg);
  }

  /**
   * A request to the master of `group`, following it: to the master a
   * NOT_MASTER names, at once; after no answer (or NOT_MASTER naming no
   * one), once more if the route, fetched again, names another master.
   */
  private async toMaster<T>(topic: string, group: string, api: BrokerApi | ScopedApi, body: unknown, decode: Decode<T>, timeoutMs = this.timeoutMs): Promise<T> {
    let address = await this.address(topic, group);
    let refreshed = false;
    for (let hops = 0; ; ) {
      try {
        return await this.request(address, api, body, timeoutMs, decode);
      } catch (err) {
        const hint = this.routes.masters.learn(err);
        if (hint !== undefined && hint.group === group && hint.address !== address && hops < MAX_HINT_HOPS) {
          address = hint.address;
          hops++;
          continue;
        }
        const silent = isCode(err, ErrorCode.NO_RESPONDERS) || isCode(err, ErrorCode.TIMEOUT);
        if (!silent && !isCode(err, ErrorCode.NOT_MASTER)) throw err;
        this.routes.masters.forget(group, address);
        this.routes.invalidate(topic);
        if (refreshed) throw err;
        refreshed = true;
        const next = await this.address(topic, group).catch(() => undefined);
        if (next === undefined || next === address) throw err;
        address = next;
      }
    }
  }

  async pull(consumerGroup: string, q: MessageQueue, offset: number, max: number, waitMs: number, tags?: string): Promise<PullResult> {
    const req: PullRequest = { group: consumerGroup, topic: q.topic, queueId: q.queueId, offset, max, waitMs, format: "binary" };
    if (tags !== undefined && tags !== "*") req.tags = tags;
    const decode = (msg: Msg) => (msg.headers?.get(Header.status) ? decodeBinaryPull(msg, q.group) : decodeReply<PullResult>(msg));
    // The broker holds a long poll up to waitMs; allow for it (RocketMQ: 15 s held, 30 s timeout).
    const timeoutMs = waitMs + this.timeoutMs;
    const key = queueKey(q);
    const slave = this.readFrom.get(key);
    let r: PullResult | undefined;
    if (slave !== undefined) {
      r = await this.request(slave, "pull", req, timeoutMs, decode).catch(() => undefined);
      if (r === undefined) this.readFrom.delete(key); // the slave failed: back to the master, now
    }
    r ??= await this.toMaster(q.topic, q.group, "pull", req, decode, timeoutMs).catch(async (err: unknown) => {
      // No master answers (RocketMQ before 4.5 with its master down, or an election under way):
      // read on from a slave, as RocketMQ's findBrokerAddressInSubscribe does. A slave serves only
      // what was committed, so nothing read there can vanish.
      if (!isMasterless(err)) throw err;
      // alive ones first; one that no longer answers (a dead old master the route still lists) costs
      // only an instant "no responders"
      for (const slave of await this.slaves(q.topic, q.group)) {
        const got = await this.request(slave, "pull", req, timeoutMs, decode).catch((e: unknown) => (isMasterless(e) ? undefined : Promise.reject(e)));
        if (got !== undefined) return got;
      }
      throw err;
    });
    if (r.readFrom !== undefined) {
      const master = await this.address(q.topic, q.group).catch(() => undefined);
      if (r.readFrom === master) this.readFrom.delete(key);
      else this.readFrom.set(key, r.readFrom);
    }
    return r;
  }

  /** The group's progress on one queue. */
  async queryOffset(consumerGroup: string, q: MessageQueue): Promise<QueueProgress> {
    const reply = await this.toMaster<OffsetQueryReply>(q.topic, q.group, "offset.query", { group: consumerGroup, topic: q.topic, queueId: q.queueId }, json);
    const p = reply.queues.find((x) => x.queueId === q.queueId) ?? reply.queues[0];
    if (!p) throw new RbusError(ErrorCode.INTERNAL, `offset.query for ${q.topic}/${q.group}/${q.queueId} answered no queue`);
    return p;
  }

  /** The group's progress on every queue of `topic` in one broker group. */
  async queryTopicOffsets(consumerGroup: string, topic: string, group: string): Promise<QueueProgress[]> {
    const reply = await this.toMaster<OffsetQueryReply>(topic, group, "offset.query", { group: consumerGroup, topic }, json);
    return reply.queues;
  }

  /** First offset of the queue stored at or after `timestamp`. */
  async offsetForTimestamp(q: MessageQueue, timestamp: number): Promise<number> {
    const reply = await this.toMaster<OffsetQueryReply>(q.topic, q.group, "offset.query", { topic: q.topic, queueId: q.queueId, timestamp }, json);
    if (typeof reply.offset !== "number") throw new RbusError(ErrorCode.INTERNAL, "offset.query by timestamp answered no offset");
    return reply.offset;
  }

  /**
   * Commits many queues of one broker group: those read from a slave to
   * that slave (it passes them on to the master), the rest to the master,
   * one request each. A slave that fails sends its queues back to the master.
   */
  async commit(consumerGroup: string, group: string, entries: OffsetCommitEntry[], clientId?: string): Promise<NonNullable<OffsetCommitReply["stale"]>> {
    const first = entries[0];
    if (!first) return [];
    // the member's id lets a master refuse a commit for a queue whose lock another member holds
    const member = clientId === undefined ? {} : { clientId };
    const stale: NonNullable<OffsetCommitReply["stale"]> = [];
    const bySlave = new Map<string, typeof entries>();
    const toMaster: typeof entries = [];
    for (const e of entries) {
      const slave = this.readFrom.size === 0 ? undefined : this.readFrom.get(queueKey({ topic: e.topic, group, queueId: e.queueId }));
      if (slave === undefined) toMaster.push(e);
      else bySlave.set(slave, [...(bySlave.get(slave) ?? []), e]);
    }
    await Promise.all(
      [...bySlave].map(async ([slave, list]) => {
        try {
          const r = await this.request<OffsetCommitReply>(slave, scopedApi("offset.commit", consumerGroup), { group: consumerGroup, ...member, entries: list }, this.timeoutMs, json);
          if (Array.isArray(r?.stale)) stale.push(...r.stale);
        } catch {
          for (const e of list) this.readFrom.delete(queueKey({ topic: e.topic, group, queueId: e.queueId }));
          toMaster.push(...list);
        }
      }),
    );
    if (toMaster.length > 0) {
      const r = await this.toMaster<OffsetCommitReply>(toMaster[0]!.topic, group, scopedApi("offset.commit", consumerGroup), { group: consumerGroup, ...member, entries: toMaster }, json);
      if (Array.isArray(r?.stale)) stale.push(...r.stale);
    }
    return stale;
  }

  /** Hands a message back to the master of `group` that stores it (send-back.ts). */
  sendBack(topic: string, group: string, req: SendBackRequest): Promise<SendBackReply> {
    return this.toMaster<SendBackReply>(topic, group, scopedApi("consumer.sendback", req.group), req, json);
  }

  /** A heartbeat to the master of `group` (following it). */
  heartbeat(topic: string, group: string, hb: ClientHeartbeat): Promise<ConsumerMembers> {
    return this.toMaster<ConsumerMembers>(topic, group, scopedApi("client.heartbeat", hb.group), hb, json);
  }

  unregister(topic: string, group: string, clientId: string, consumerGroup: string): Promise<ConsumerMembers> {
    return this.toMaster<ConsumerMembers>(topic, group, scopedApi("client.unregister", consumerGroup), { clientId, group: consumerGroup }, json);
  }
}
