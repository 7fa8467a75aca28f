// send and send.batch: the write path. One request is one store.put (one
// commit-log write, one fsync under sync flush shared with concurrent
// requests); the reply goes out only after put resolves, so an
// acknowledged message is stored (and, under sync flush, on disk), and
// under ack=quorum only once a majority of the group holds it.
import { Match, type Msg, type MsgHdrs } from "@nats-io/transport-node";
import {
  BadRequestError,
  decodeBatch,
  encodeMsgId,
  ErrorCode,
  Header,
  isTopicName,
  RbusError,
  SendStatus,
  setProperty,
  type BatchEntry,
  type SendResult,
} from "../src/protocol/index.js";
import { isRecordBatch } from "../src/protocol/record-batch.js";
import { walkRecordBatch } from "../src/protocol/record-batch-walk.js";
import { PutStatus, type PutMessage, type PutResult } from "../src/store/index.js";
import { assertMaster, notMaster, type BrokerContext } from "./broker-context.js";
import type { RawReply } from "./responder.js";
import { batchReply, checkRecords, countRecords } from "./send-records.js";

const RESERVED = "rbus-";

function header(h: MsgHdrs | undefined, name: string): string | undefined {
  const v = h?.get(name, Match.IgnoreCase);
  return v === undefined || v === "" ? undefined : v;
}

/** The request's headers; a block the client library cannot parse (a non-ASCII name) is the sender's error. */
function headersOf(msg: Msg): MsgHdrs | undefined {
  try {
    return msg.headers;
  } catch (err) {
    throw new BadRequestError(`the request's NATS headers cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function topicOf(h: MsgHdrs | undefined): string {
  const topic = header(h, Header.topic);
  if (!topic) throw new BadRequestError(`the ${Header.topic} header is required`);
  if (!isTopicName(topic)) throw new BadRequestError(`topic "${topic}" must be letters, digits, '-', '_', '%' or '|' (at most 127)`);
  return topic;
}

function intHeader(h: MsgHdrs | undefined, name: string): number | undefined {
  const v = header(h, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequestError(`the ${name} header must be a non-negative integer, got "${v}"`);
  return n;
}

/** Every header that is not Rbus-* is a user property. */
function properties(h: MsgHdrs | undefined): Record<string, string> | undefined {
  if (!h) return undefined;
  let out: Record<string, string> | undefined;
  for (const k of h.keys()) {
    if (k.toLowerCase().startsWith(RESERVED)) continue;
    setProperty((out ??= {}), k, h.get(k));
  }
  return out;
}

/**
 * Refuses a send whose Rbus-Deadline (ms since the epoch, set by the
 * producer) has passed: the producer stopped waiting and may have sent it
 * elsewhere, so storing it now would make a duplicate. Absolute times
 * catch a broker that was paused with requests in its socket buffer;
 * they assume the hosts' clocks roughly agree.
 */
function checkDeadline(h: MsgHdrs | undefined): void {
  const deadline = intHeader(h, Header.deadline);
  if (deadline === undefined) return;
  const late = Date.now() - deadline;
  if (late > 0) {
    throw new RbusError(ErrorCode.DEADLINE_EXCEEDED, `the send's deadline passed ${late} ms ago by this broker's clock; nothing was stored`, { deadline, lateMs: late });
  }
}

/**
 * Under ack=quorum, waits until a majority holds the put (the commit offset
 * passes its end). A master that is deposed meanwhile, or cannot reach a
 * majority in time, answers an error instead: it never acknowledges what it
 * has not committed. The message is in its log and may still survive there.
 */
async function committed(ctx: BrokerContext, end: number, h: MsgHdrs | undefined): Promise<void> {
  if (ctx.ack !== "quorum" || ctx.replicas === 1 || end < 0) return;
  const deadline = intHeader(h, Header.deadline);
  const waitMs = deadline === undefined ? ctx.commitTimeoutMs : Math.max(1, deadline - Date.now());
  const outcome = await ctx.replication.waitCommitted(end, waitMs);
  if (outcome === "committed") return;
  if (outcome === "not-master") throw notMaster(ctx, "stopped being the master before a majority held the message, which is not acknowledged");
  const { commit } = ctx.replication.status();
  throw new RbusError(ErrorCode.NOT_REPLICATED, `a majority of ${ctx.group}'s ${ctx.replicas} replicas did not hold the message within ${waitMs} ms; it is not acknowledged (are the slaves running?)`, {
    group: ctx.group, term: ctx.replication.term(), end, commit,
  });
}

function checkSize(ctx: BrokerContext, bytes: number): void {
  if (bytes > ctx.maxMessageBytes) {
    throw new RbusError(ErrorCode.MESSAGE_TOO_LARGE, `message body is ${bytes} bytes; this broker accepts at most ${ctx.maxMessageBytes}`);
  }
}

/** The reply status for a put that stored everything, or the error for one that did not. */
function sendStatus(put: PutResult): SendStatus {
  switch (put.status) {
    case PutStatus.PUT_OK:
      return SendStatus.SEND_OK;
    case PutStatus.FLUSH_TIMEOUT:
      return SendStatus.FLUSH_DISK_TIMEOUT;
    case PutStatus.MESSAGE_TOO_LARGE:
      throw new RbusError(ErrorCode.MESSAGE_TOO_LARGE, "the message with its properties is larger than the broker accepts");
    case PutStatus.MESSAGE_ILLEGAL:
      throw new BadRequestError("the message has a field the store cannot take (an over-long tag, key or property)");
    case PutStatus.DISK_FULL:
      throw new RbusError(ErrorCode.DISK_FULL, "the broker's disk is full: nothing was stored; send to another group, or free space on the broker");
    case PutStatus.IO_ERROR:
      throw new RbusError(ErrorCode.INTERNAL, "the broker could not write: nothing was stored; its log says why");
    default:
      throw new RbusError(ErrorCode.BROKER_BUSY, "the broker is shutting down; send elsewhere");
  }
}

export function sendHandlers(ctx: BrokerContext) {
  const next = new Map<string, number>();
  /** RocketMQ picks the queue on the producer; a bare `nats pub` gets round-robin here. */
  const pickQueue = (topic: string, writeQueues: number) => {
    const n = next.get(topic) ?? 0;
    next.set(topic, n + 1);
    return n % writeQueues;
  };

  return {
    async send(msg: Msg): Promise<SendResult> {
      assertMaster(ctx);
      const h = headersOf(msg);
      checkDeadline(h);
      const topic = topicOf(h);
      const requested = intHeader(h, Header.queue);
      checkSize(ctx, msg.data.byteLength);
      const config = ctx.topics.forWrite(topic, requested);
      const queueId = requested ?? pickQueue(topic, config.writeQueues);
      const message: PutMessage = { topic, queueId, body: msg.data };
      const tags = header(h, Header.tags);
      const keys = header(h, Header.keys);
      const born = intHeader(h, Header.born);
      const props = properties(h);
      if (tags) message.tags = tags;
      if (keys) message.keys = keys;
      if (born !== undefined) message.bornTimestamp = born;
      if (props) message.properties = props;
      const put = await ctx.store.put([message]);
      const status = sendStatus(put);
      ctx.counters.put(topic, 1, msg.data.byteLength);
      await committed(ctx, put.end, h);
      const r = put.results[0]!;
      return { status, msgId: encodeMsgId(ctx.group, r.commitLogOffset), topic, queueId, queueOffset: r.queueOffset };
    },

    async sendBatch(msg: Msg): Promise<RawReply> {
      assertMaster(ctx);
      const hs = headersOf(msg);
      checkDeadline(hs);
      if (isRecordBatch(msg.data)) {
        // RBB2: records as the commit log holds them, of any topics; the Rbus-Topic header is not read
        const batch = walkRecordBatch(msg.data);
        checkRecords(ctx, batch, pickQueue);
        const put = await ctx.store.putEncoded(batch);
        const status = sendStatus(put);
        countRecords(ctx, batch);
        await committed(ctx, put.end, hs);
        return batchReply(ctx, status, batch.queueIds, put);
      }
      const topic = topicOf(hs);
      const entries = decodeBatch(msg.data);
      if (entries.length === 0) throw new BadRequestError("send.batch needs at least one message");
      const config = ctx.topics.forWrite(topic, undefined);
      const messages: PutMessage[] = new Array(entries.length);
      let bodyBytes = 0;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        checkSize(ctx, e.body.byteLength);
        bodyBytes += e.body.byteLength;
        if (e.queueId >= config.writeQueues || e.queueId < -1) {
          throw new BadRequestError(`message ${i}: queue ${e.queueId} does not exist: topic "${topic}" has ${config.writeQueues} write queues here`);
        }
        if (e.queueId === -1) e.queueId = pickQueue(topic, config.writeQueues);
        if (e.bornTimestamp > 0) {
          // the decoded entry becomes the store's message (one object per message, not two)
          const m = e as BatchEntry & PutMessage;
          m.topic = topic;
          messages[i] = m;
        } else {
          // no born time: the store stamps its own clock
          const m: PutMessage = { topic, queueId: e.queueId, body: e.body };
          if (e.tags) m.tags = e.tags;
          if (e.keys) m.keys = e.keys;
          if (e.properties) m.properties = e.properties;
          messages[i] = m;
        }
      }
      // all or none: the reply is one status for the batch
      const put = await ctx.store.put(messages, { atomic: true });
      const status = sendStatus(put);
      ctx.counters.put(topic, messages.length, bodyBytes);
      await committed(ctx, put.end, hs);
      const queueIds = new Array<number>(messages.length);
      for (let i = 0; i < messages.length; i++) queueIds[i] = messages[i]!.queueId;
      return batchReply(ctx, status, queueIds, put, topic);
    },
  };
}
