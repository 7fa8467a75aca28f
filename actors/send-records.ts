// send.batch with records the producer encoded (RBB2): what the broker
// checks before the store seals and appends them, and the reply rows both
// versions answer with. A request may hold several topics: each is looked
// up once per run of records naming it (and once per request in a map),
// never once per record.
import { headers } from "@nats-io/transport-node";
import { BadRequestError, encodeBatchReply, ErrorCode, Header, RbusError, type SendStatus, type TopicConfig } from "../src/protocol/index.js";
import type { RecordBatch } from "../src/protocol/record-batch.js";
import { isSystemTopic } from "../src/protocol/system-topics.js";
import { ANY_QUEUE } from "../src/store/record.js";
import type { PutResult } from "../src/store/index.js";
import type { BrokerContext } from "./broker-context.js";
import { RawReply } from "./responder.js";

/** A producer may not write what only brokers write (the timer, transaction, retry and DLQ topics). */
export function checkNotSystem(topic: string): void {
  if (isSystemTopic(topic)) {
    throw new RbusError(ErrorCode.NO_PERMISSION, `topic "${topic}" is a system topic: only brokers write to it`, { topic });
  }
}

/** A topic's error, naming the record that asked for it. */
function forRecord(err: unknown, i: number): unknown {
  return err instanceof RbusError ? new RbusError(err.code, `record ${i}: ${err.message}`, err.details) : err;
}

/**
 * Checks every record against this broker (topic writable here, queue
 * among its write queues, body within the limit) and picks a queue for
 * each that left it to the broker, writing it into `batch.queueIds`.
 * Throws on the first record that fails: nothing is stored.
 */
export function checkRecords(ctx: BrokerContext, batch: RecordBatch, pickQueue: (topic: string, writeQueues: number) => number): void {
  const { count, topics, queueIds, bodyBytes } = batch;
  let configs: Map<string, TopicConfig> | undefined;
  let topic = "";
  let writeQueues = 0;
  for (let i = 0; i < count; i++) {
    if (topics[i] !== topic) {
      topic = topics[i]!;
      let config = configs?.get(topic);
      if (!config) {
        try {
          checkNotSystem(topic);
          config = ctx.topics.forWrite(topic, undefined);
        } catch (err) {
          throw forRecord(err, i);
        }
        (configs ??= new Map()).set(topic, config);
      }
      writeQueues = config.writeQueues;
    }
    if (bodyBytes[i]! > ctx.maxMessageBytes) {
      throw new RbusError(ErrorCode.MESSAGE_TOO_LARGE, `record ${i}: body is ${bodyBytes[i]} bytes; this broker accepts at most ${ctx.maxMessageBytes}`);
    }
    const q = queueIds[i]!;
    if (q === ANY_QUEUE) queueIds[i] = pickQueue(topic, writeQueues);
    else if (q >= writeQueues) throw new BadRequestError(`record ${i}: queue ${q} does not exist: topic "${topic}" has ${writeQueues} write queues here`);
  }
}

/** Adds a stored batch to the broker's counters, once per run of one topic. */
export function countRecords(ctx: BrokerContext, batch: RecordBatch): void {
  const { count, topics, bodyBytes } = batch;
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    bytes += bodyBytes[i]!;
    if (i + 1 === count || topics[i + 1] !== topics[i]) {
      ctx.counters.put(topics[i]!, i + 1 - from, bytes);
      from = i + 1;
      bytes = 0;
    }
  }
}

/** The send.batch reply: status and group (and the topic, for RBB1's one topic) in headers, a row per message. */
export function batchReply(ctx: BrokerContext, status: SendStatus, queueIds: readonly number[], put: PutResult, topic?: string): RawReply {
  const n = queueIds.length;
  const queueOffsets = new Array<number>(n);
  const commitLogOffsets = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const r = put.results[i]!;
    queueOffsets[i] = r.queueOffset;
    commitLogOffsets[i] = r.commitLogOffset;
  }
  const h = headers();
  h.set(Header.status, status);
  h.set(Header.group, ctx.group);
  if (topic !== undefined) h.set(Header.topic, topic);
  return new RawReply(encodeBatchReply(queueIds, queueOffsets, commitLogOffsets), h);
}
