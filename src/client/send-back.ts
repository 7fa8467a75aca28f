// Hands a consumed message back to its broker (consumer.sendback): it comes
// again through the group's retry topic after the backoff of its attempt,
// or, past maxReconsumeTimes or with delayLevel -1, goes to the group's
// dead-letter queue. The broker reads the record by the message id's
// offset; nothing of the message's content is sent.
import { decodeMsgId, ErrorCode, RbusError, type SendBackReply, type SendBackRequest } from "../protocol/index.js";
import type { BrokerClient, ConsumedMessage } from "./broker-client.js";
import type { MessageQueue } from "./route-cache.js";

export interface SendBackOptions {
  /** 0 or absent: the broker's backoff; -1: straight to the dead-letter queue. */
  delayLevel?: number;
  /** Used when the group has no stored settings (rbus group set … --retry-max-times wins). */
  maxReconsumeTimes?: number;
}

/**
 * `queue` is the queue the message was pulled from (a retried message's is
 * the retry topic's); the request goes to that broker group's master.
 */
export function sendBack(brokers: BrokerClient, consumerGroup: string, queue: MessageQueue, m: ConsumedMessage, opts: SendBackOptions = {}): Promise<SendBackReply> {
  const id = decodeMsgId(m.msgId);
  if (!id) return Promise.reject(new RbusError(ErrorCode.BAD_REQUEST, `"${m.msgId}" is not a message id`));
  const req: SendBackRequest = { group: consumerGroup, commitLogOffset: id.commitLogOffset, msgId: m.msgId };
  if (opts.delayLevel !== undefined) req.delayLevel = opts.delayLevel;
  if (opts.maxReconsumeTimes !== undefined) req.maxReconsumeTimes = opts.maxReconsumeTimes;
  return brokers.sendBack(queue.topic, queue.group, req);
}
