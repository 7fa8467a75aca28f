// send, send.half and send.batch: the write path. One request is one store.put (one
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
  Prop,
  RbusError,
  setProperty,
  type BatchEntry,
  type SendResult,
} from "../src/protocol/index.js";
import { isRecordBatch } from "../src/protocol/record-batch.js";
import { walkRecordBatch } from "../src/protocol/record-batch-walk.js";
import type { PutMessage } from "../src/store/index.js";
import { assertMaster, type BrokerContext } from "./broker-context.js";
import type { RawReply } from "./responder.js";
import { batchReply, checkNotSystem, checkRecords, countRecords } from "./send-records.js";
import { committed, sendStatus } from "./send-outcome.js";
import { scopedGroup } from "./group-scope.js";
import { firstTimedRecord } from "./timer-rewrite.js";
import { toHalf } from "./transaction-half.js";

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
 * A half message goes on send.half.<its producer group> only, and
 * send.half takes nothing else: the producer group, which the check-back
 * asks, is then in the subject, where a producer user's rights name it.
 */
function halfScope(msg: Msg, props: Record<string, string> | undefined, halfApi: boolean): void {
  const half = props?.[Prop.transactionPrepared];
  if (!halfApi) {
    if (half !== undefined) throw new BadRequestError(`a half message (${Prop.transactionPrepared}) goes on send.half.<its ${Prop.producerGroup}>, not on send`);
    return;
  }
  const group = props?.[Prop.producerGroup];
  if (half !== "true" || group === undefined) {
    throw new BadRequestError(`send.half takes half messages only: properties ${Prop.transactionPrepared}=true and ${Prop.producerGroup}=<the producer group of the subject>`);
  }
  scopedGroup(msg, group);
}

function checkSize(ctx: BrokerContext, bytes: number): void {
  if (bytes > ctx.maxMessageBytes) {
    throw new RbusError(ErrorCode.MESSAGE_TOO_LARGE, `message body is ${bytes} bytes; this broker accepts at most ${ctx.maxMessageBytes}`);
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

  /** One message; `halfApi`: it came on send.half.<producer group>. */
  const sendOne = async (msg: Msg, halfApi: boolean): Promise<SendResult> => {
    assertMaster(ctx);
    const h = headersOf(msg);
    checkDeadline(h);
    const topic = topicOf(h);
    checkNotSystem(topic);
    const requested = intHeader(h, Header.queue);
    checkSize(ctx, msg.data.byteLength);
    const config = ctx.topics.forWrite(topic, requested);
    const queueId = requested ?? pickQueue(topic, config.writeQueues);
    let message: PutMessage = { topic, queueId, body: msg.data };
    const tags = header(h, Header.tags);
    const keys = header(h, Header.keys);
    const born = intHeader(h, Header.born);
    const props = properties(h);
    halfScope(msg, props, halfApi);
    if (tags) message.tags = tags;
    if (keys) message.keys = keys;
    if (born !== undefined) message.bornTimestamp = born;
    if (props) {
      message.properties = props;
      toHalf(message); // TRAN_MSG=true: stored in the half topic until settled (transaction-half.ts)
      // a timed message is stored in the timer topic; the reply names where it will go
      message = ctx.timers.rewrite(message);
    }
    const put = await ctx.store.put([message]);
    const status = sendStatus(put);
    ctx.counters.put(topic, 1, msg.data.byteLength);
    await committed(ctx, put.end, intHeader(h, Header.deadline));
    const r = put.results[0]!;
    return { status, msgId: encodeMsgId(ctx.group, r.commitLogOffset), topic, queueId, queueOffset: r.queueOffset };
  };

  return {
    send: (msg: Msg) => sendOne(msg, false),
    sendHalf: (msg: Msg) => sendOne(msg, true),

    async sendBatch(msg: Msg): Promise<RawReply> {
      assertMaster(ctx);
      const hs = headersOf(msg);
      checkDeadline(hs);
      if (isRecordBatch(msg.data)) {
        // RBB2: records as the commit log holds them, of any topics; the Rbus-Topic header is not read
        const batch = walkRecordBatch(msg.data);
        const timed = firstTimedRecord(batch);
        if (timed >= 0) throw new BadRequestError(`record ${timed} asks for a timer, is a half message or carries TIMER_QUEUE_OFFSET: an RBB2 batch takes none of them (send such a message alone)`);
        checkRecords(ctx, batch, pickQueue);
        const put = await ctx.store.putEncoded(batch);
        const status = sendStatus(put);
        countRecords(ctx, batch);
        await committed(ctx, put.end, intHeader(hs, Header.deadline));
        return batchReply(ctx, status, batch.queueIds, put);
      }
      const topic = topicOf(hs);
      checkNotSystem(topic);
      const entries = decodeBatch(msg.data);
      if (entries.length === 0) throw new BadRequestError("send.batch needs at least one message");
      const config = ctx.topics.forWrite(topic, undefined);
      const messages: PutMessage[] = new Array(entries.length);
      let bodyBytes = 0;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        checkSize(ctx, e.body.byteLength);
        // a half stored as an ordinary message would be seen at once: halves are sent alone (RocketMQ's batches take none)
        if (e.properties?.[Prop.transactionPrepared] !== undefined) throw new BadRequestError(`message ${i} is a half message (${Prop.transactionPrepared}): send.batch takes none; send it on send.half.<producer group>`);
        bodyBytes += e.body.byteLength;
        if (e.queueId >= config.writeQueues || e.queueId < -1) {
          throw new BadRequestError(`message ${i}: queue ${e.queueId} does not exist: topic "${topic}" has ${config.writeQueues} write queues here`);
        }
        if (e.queueId === -1) e.queueId = pickQueue(topic, config.writeQueues);
        if (e.bornTimestamp > 0) {
          // the decoded entry becomes the store's message (one object per message, not two)
          const m = e as BatchEntry & PutMessage;
          m.topic = topic;
          messages[i] = m.properties ? ctx.timers.rewrite(m) : m;
        } else {
          // no born time: the store stamps its own clock
          const m: PutMessage = { topic, queueId: e.queueId, body: e.body };
          if (e.tags) m.tags = e.tags;
          if (e.keys) m.keys = e.keys;
          if (e.properties) m.properties = e.properties;
          messages[i] = m.properties ? ctx.timers.rewrite(m) : m;
        }
      }
      // all or none: the reply is one status for the batch
      const put = await ctx.store.put(messages, { atomic: true });
      const status = sendStatus(put);
      ctx.counters.put(topic, messages.length, bodyBytes);
      await committed(ctx, put.end, intHeader(hs, Header.deadline));
      const queueIds = new Array<number>(messages.length);
      for (let i = 0; i < messages.length; i++) queueIds[i] = entries[i]!.queueId;
      return batchReply(ctx, status, queueIds, put, topic);
    },
  };
}
