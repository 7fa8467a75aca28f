// Requests straight to one replica of a group, bypassing routes and client
// retries: a test sees exactly what that replica answers (SEND_OK, an
// RbusError such as NOT_MASTER or NOT_REPLICATED, or no answer at all).
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { encodeJson, Header, subjects, type PullReply, type SendResult, type WireMessage } from "../../src/protocol/index.js";
import { deadline } from "../../src/client/send-retry.js";
import { decodeReply, natsError } from "../../src/runtime/request.js";

const subj = subjects();

export interface SendToOptions {
  queueId?: number;
  timeoutMs?: number;
}

/** One send to replica `replica` of `group`; rejects with the RbusError it answered, or NO_RESPONDERS / TIMEOUT. */
export async function sendTo(nc: NatsConnection, group: string, replica: number, topic: string, body: string, o: SendToOptions = {}): Promise<SendResult> {
  const h = headers();
  h.set(Header.topic, topic);
  if (o.queueId !== undefined) h.set(Header.queue, String(o.queueId));
  const timeout = o.timeoutMs ?? 2000;
  h.set(Header.deadline, String(deadline(Date.now(), timeout))); // as the producer sets it: the broker answers before we give up
  const subject = subj.broker(group, replica, "send");
  try {
    return decodeReply<SendResult>(await nc.request(subject, body, { headers: h, timeout }));
  } catch (err) {
    throw natsError(err, subject);
  }
}

/** The bytes a pulled message carries, as they were sent. */
export function bodyOf(m: WireMessage): Buffer {
  return Buffer.from(m.body, m.bodyEncoding === "base64" ? "base64" : "utf8");
}

export interface PullQueueOptions {
  topic: string;
  queueId: number;
  /** The consumer group named in the pulls (no offsets are committed). */
  consumerGroup?: string;
  from?: number;
  max?: number;
  timeoutMs?: number;
}

/** One pull from a replica (JSON format), the reply as it came. */
export async function pullFrom(nc: NatsConnection, group: string, replica: number, o: PullQueueOptions): Promise<PullReply> {
  const req = { group: o.consumerGroup ?? "failover-check", topic: o.topic, queueId: o.queueId, offset: o.from ?? 0, max: o.max ?? 1024 };
  const subject = subj.broker(group, replica, "pull");
  try {
    return decodeReply<PullReply>(await nc.request(subject, encodeJson(req), { timeout: o.timeoutMs ?? 5000 }));
  } catch (err) {
    throw natsError(err, subject);
  }
}

/** Every message a replica serves for one queue from `from`, pulled until a reply comes back empty. */
export async function pullQueue(nc: NatsConnection, group: string, replica: number, o: PullQueueOptions): Promise<WireMessage[]> {
  const out: WireMessage[] = [];
  for (let offset = o.from ?? 0; ; ) {
    const reply = await pullFrom(nc, group, replica, { ...o, from: offset });
    if (reply.messages.length === 0) return out;
    out.push(...reply.messages);
    offset = reply.nextOffset;
  }
}
