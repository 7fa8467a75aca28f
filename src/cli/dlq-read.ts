// What rbus dlq reads: a consumer group's dead-letter topic on each broker
// group that has one (its one queue), the group's committed offset there
// (what `rbus dlq resend` has put back already), and its messages with the
// origin the broker wrote on them.
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../client/admin.js";
import { brokerAddress } from "../client/route-cache.js";
import { dlqTopic, ErrorCode, Prop, RbusError, retryTopic, scopedApi, subjects, type OffsetQueryReply, type WireMessage } from "../protocol/index.js";
import { requestJson } from "../runtime/request.js";

export interface DlqQueue {
  /** The broker group storing it. */
  broker: string;
  address: string;
  minOffset: number;
  maxOffset: number;
  /** Where the consumer group's offset on the DLQ stands (resent up to here); minOffset when it never committed. */
  resentTo: number;
}

export interface DlqMessage {
  broker: string;
  queueOffset: number;
  msgId: string;
  originTopic: string;
  originMsgId: string;
  originQueueId: number | undefined;
  /** Deliveries that failed before it came here. */
  attempts: number;
  storedAt: number;
  resent: boolean;
  message: WireMessage;
}

export const isAbsent = (err: unknown) => err instanceof RbusError && (err.code === ErrorCode.TOPIC_NOT_EXIST || err.code === ErrorCode.NOT_FOUND);

/** A topic's one queue on each broker group serving it (none when the topic exists nowhere). */
export async function systemQueues(nc: NatsConnection, prefix: string | undefined, topic: string, group: string): Promise<DlqQueue[]> {
  const admin = new Admin(nc, { prefix });
  const route = await admin.route(topic).catch((err: unknown) => (isAbsent(err) ? undefined : Promise.reject(err)));
  if (!route) return [];
  const subj = subjects(prefix);
  const out: DlqQueue[] = [];
  for (const g of route.groups) {
    const address = brokerAddress(route, g.group);
    if (!address) continue;
    const reply = await requestJson<OffsetQueryReply>(nc, subj.brokerApi(address, "offset.query"), { group, topic, queueId: 0 });
    const q = reply.queues[0];
    if (!q) continue;
    out.push({ broker: g.group, address, minOffset: q.minOffset, maxOffset: q.maxOffset, resentTo: Math.max(q.offset, q.minOffset) });
  }
  return out.sort((a, b) => a.broker.localeCompare(b.broker));
}

export const dlqQueues = (nc: NatsConnection, prefix: string | undefined, group: string) => systemQueues(nc, prefix, dlqTopic(group), group);
export const retryQueues = (nc: NatsConnection, prefix: string | undefined, group: string) => systemQueues(nc, prefix, retryTopic(group), group);

export function dlqMessage(broker: string, m: WireMessage, resentTo: number): DlqMessage {
  const p = m.properties;
  const originQueueId = p[Prop.originQueueId] === undefined ? undefined : Number(p[Prop.originQueueId]);
  return {
    broker, queueOffset: m.queueOffset, msgId: m.msgId, originTopic: p[Prop.retryTopic] ?? "", originMsgId: p[Prop.originMsgId] ?? "",
    originQueueId, attempts: Number(p[Prop.reconsumeTimes] ?? 0), storedAt: m.storedAt, resent: m.queueOffset < resentTo, message: m,
  };
}

/** The queue's messages from `from` to its end, at most `max`. */
export async function dlqMessages(nc: NatsConnection, prefix: string | undefined, group: string, q: DlqQueue, from: number, max: number): Promise<DlqMessage[]> {
  if (from >= q.maxOffset) return [];
  const admin = new Admin(nc, { prefix });
  const got = await admin.queueMessages(dlqTopic(group), q.broker, 0, Math.max(from, q.minOffset), max);
  return got.messages.map((m) => dlqMessage(q.broker, m, q.resentTo));
}

/** Moves the consumer group's offset on the DLQ of one broker group (what resend has done). */
export async function commitResent(nc: NatsConnection, prefix: string | undefined, group: string, q: DlqQueue, offset: number): Promise<void> {
  const subj = subjects(prefix);
  await requestJson(nc, subj.brokerApi(q.address, scopedApi("offset.commit", group)), { group, topic: dlqTopic(group), queueId: 0, offset });
}
