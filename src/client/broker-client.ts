// What a consumer asks of brokers: pull (binary form), offsets, membership.
// Every request goes to the master of the queue's broker group, found in
// the route cache; a broker that does not answer makes the route stale.
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import {
  encodeJson,
  encodeMsgId,
  ErrorCode,
  Header,
  PullStatus,
  RbusError,
  subjects,
  type BrokerApi,
  type ClientHeartbeat,
  type ConsumerMembers,
  type OffsetQueryReply,
  type PullRequest,
  type QueueProgress,
  type WireMessage,
} from "../protocol/index.js";
import { decodeReply, natsError } from "../runtime/request.js";
import { checkRecord, decodeRecord } from "../store/record.js";
import { RecordStatus } from "../store/status.js";
import { brokerAddress, type MessageQueue, type RouteCache } from "./route-cache.js";

/** A message as a consumer receives it: the wire message's fields, with the body as bytes. */
export interface ConsumedMessage extends Omit<WireMessage, "body" | "bodyEncoding"> {
  /** The broker group that stores it. */
  group: string;
  /** A slice of the pull reply; copy it to keep it past the listener if the buffer matters. */
  body: Buffer;
}

export interface PullResult {
  status: PullStatus;
  nextOffset: number;
  minOffset: number;
  maxOffset: number;
  messages: ConsumedMessage[];
}

const STATUSES = new Set<string>(Object.values(PullStatus));

/** Decodes a binary pull reply: offsets in headers, commit-log records as the payload. */
export function decodeBinaryPull(msg: Msg, group: string): PullResult {
  const h = msg.headers;
  const status = h?.get(Header.status) ?? "";
  if (!STATUSES.has(status)) throw new RbusError(ErrorCode.INTERNAL, `pull reply with unknown status "${status}"`);
  const num = (name: string) => {
    const v = Number(h?.get(name));
    if (!Number.isSafeInteger(v)) throw new RbusError(ErrorCode.INTERNAL, `pull reply without a valid ${name} header`);
    return v;
  };
  const brokerGroup = h?.get(Header.group) || group;
  const data = msg.data;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const messages: ConsumedMessage[] = [];
  for (let at = 0; at < buf.length; ) {
    // The broker checked the CRC when it read the log; here only the framing.
    if (checkRecord(buf, at, buf.length, false) !== RecordStatus.OK) {
      throw new RbusError(ErrorCode.INTERNAL, `malformed record at byte ${at} of a pull reply from ${brokerGroup}`);
    }
    const r = decodeRecord(buf, at);
    at += r.size;
    messages.push({
      msgId: encodeMsgId(brokerGroup, r.commitLogOffset),
      topic: r.topic,
      group: brokerGroup,
      queueId: r.queueId,
      queueOffset: r.queueOffset,
      tags: r.tags,
      keys: r.keys,
      properties: r.properties,
      bornAt: r.bornTimestamp,
      storedAt: r.storeTimestamp,
      body: r.body,
    });
  }
  return {
    status: status as PullStatus,
    nextOffset: num(Header.nextOffset),
    minOffset: num(Header.minOffset),
    maxOffset: num(Header.maxOffset),
    messages,
  };
}

export interface BrokerClientOptions {
  prefix?: string;
  timeoutMs?: number;
}

export class BrokerClient {
  readonly subj;
  private readonly timeoutMs: number;

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
    const address = brokerAddress(route, group);
    if (!address) {
      this.routes.invalidate(topic);
      throw new RbusError(ErrorCode.NO_RESPONDERS, `broker group ${group} has no master serving ${topic}`);
    }
    return address;
  }

  private async request(topic: string, address: string, api: BrokerApi, body: unknown, timeoutMs: number): Promise<Msg> {
    const subject = this.subj.brokerApi(address, api);
    try {
      return await this.nc.request(subject, encodeJson(body), { timeout: timeoutMs });
    } catch (err) {
      this.routes.invalidate(topic);
      throw natsError(err, subject);
    }
  }

  private async json<T>(topic: string, group: string, api: BrokerApi, body: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const address = await this.address(topic, group);
    return decodeReply<T>(await this.request(topic, address, api, body, timeoutMs));
  }

  async pull(consumerGroup: string, q: MessageQueue, offset: number, max: number, waitMs: number, tags?: string): Promise<PullResult> {
    const req: PullRequest = { group: consumerGroup, topic: q.topic, queueId: q.queueId, offset, max, waitMs, format: "binary" };
    if (tags !== undefined && tags !== "*") req.tags = tags;
    const address = await this.address(q.topic, q.group);
    // The broker holds a long poll up to waitMs; allow for it (RocketMQ: 15 s held, 30 s timeout).
    const msg = await this.request(q.topic, address, "pull", req, waitMs + this.timeoutMs);
    if (!msg.headers?.get(Header.status)) return decodeReply<PullResult>(msg); // an error envelope
    return decodeBinaryPull(msg, q.group);
  }

  /** The group's progress on one queue. */
  async queryOffset(consumerGroup: string, q: MessageQueue): Promise<QueueProgress> {
    const reply = await this.json<OffsetQueryReply>(q.topic, q.group, "offset.query", { group: consumerGroup, topic: q.topic, queueId: q.queueId });
    const p = reply.queues.find((x) => x.queueId === q.queueId) ?? reply.queues[0];
    if (!p) throw new RbusError(ErrorCode.INTERNAL, `offset.query for ${q.topic}/${q.group}/${q.queueId} answered no queue`);
    return p;
  }

  /** The group's progress on every queue of `topic` in one broker group. */
  async queryTopicOffsets(consumerGroup: string, topic: string, group: string): Promise<QueueProgress[]> {
    const reply = await this.json<OffsetQueryReply>(topic, group, "offset.query", { group: consumerGroup, topic });
    return reply.queues;
  }

  /** First offset of the queue stored at or after `timestamp`. */
  async offsetForTimestamp(q: MessageQueue, timestamp: number): Promise<number> {
    const reply = await this.json<OffsetQueryReply>(q.topic, q.group, "offset.query", { topic: q.topic, queueId: q.queueId, timestamp });
    if (typeof reply.offset !== "number") throw new RbusError(ErrorCode.INTERNAL, "offset.query by timestamp answered no offset");
    return reply.offset;
  }

  /** Commits many queues of one broker group in one request. */
  async commit(consumerGroup: string, group: string, entries: Array<{ topic: string; queueId: number; offset: number }>): Promise<void> {
    const first = entries[0];
    if (!first) return;
    await this.json(first.topic, group, "offset.commit", { group: consumerGroup, entries });
  }

  async heartbeat(address: string, topic: string, hb: ClientHeartbeat): Promise<ConsumerMembers> {
    return decodeReply<ConsumerMembers>(await this.request(topic, address, "client.heartbeat", hb, this.timeoutMs));
  }

  async unregister(address: string, topic: string, clientId: string, group: string): Promise<ConsumerMembers> {
    return decodeReply<ConsumerMembers>(await this.request(topic, address, "client.unregister", { clientId, group }, this.timeoutMs));
  }
}
