// One check-back (RocketMQ's checkTransactionState): the master asks the
// half's producer group, as a NATS request to rbus.producer.<pg>.check,
// which the group's live members serve in one queue group, so one of them
// answers. Any failure (no member, no answer in time, a reply that is not
// {state}) counts as an unanswered check.
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeCheckAnswer, encodeJson, encodeMsgId, isSubjectToken, Prop, type Subjects, type TransactionCheckRequest, type TransactionState } from "../src/protocol/index.js";
import type { StoredMessage } from "../src/store/index.js";
import { destination } from "./transaction-half.js";

export type CheckBus = Pick<NatsConnection, "request" | "publish" | "isClosed">;

export function checkRequest(group: string, half: StoredMessage, checkTimes: number): TransactionCheckRequest {
  const to = destination(half) ?? { topic: "", queueId: -1 };
  const msgId = encodeMsgId(group, half.commitLogOffset);
  const req: TransactionCheckRequest = {
    producerGroup: half.properties[Prop.producerGroup] ?? "",
    msgId,
    commitLogOffset: half.commitLogOffset,
    halfOffset: half.queueOffset,
    topic: to.topic,
    queueId: to.queueId,
    body: half.body.toString("base64"),
    properties: half.properties,
    transactionId: half.properties[Prop.transactionId] ?? msgId,
    checkTimes,
    storedAt: half.storeTimestamp,
  };
  if (half.tags) req.tags = half.tags;
  if (half.keys) req.keys = half.keys;
  return req;
}

/** The producer group's answer; "unknown" for every way of not answering. */
export async function askProducerGroup(bus: CheckBus, subj: Subjects, req: TransactionCheckRequest, timeoutMs: number): Promise<{ state: TransactionState; why?: string }> {
  if (!isSubjectToken(req.producerGroup)) return { state: "unknown", why: "the half names no producer group" };
  if (bus.isClosed()) return { state: "unknown", why: "the broker's connection is closed" };
  try {
    const reply = await bus.request(subj.producerCheck(req.producerGroup), encodeJson(req), { timeout: timeoutMs });
    return { state: decodeCheckAnswer(reply.data) };
  } catch (err) {
    return { state: "unknown", why: err instanceof Error ? err.message : String(err) };
  }
}
