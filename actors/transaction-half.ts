// The records of a transaction, as RocketMQ's TransactionalMessageBridge
// writes them: a half message waits in TRANS_HALF_TOPIC queue 0 with its
// real topic and queue in REAL_TOPIC / REAL_QID; settling it puts one op
// record in TRANS_OP_TOPIC queue 0 whose body is the half's queue offset,
// and, on commit, the real message beside it in the same atomic put. An
// unanswered check puts a check record there too (the half's offset and
// the count so far), so a new master or a restarted broker goes on
// counting where the last left off: RocketMQ keeps the count in
// TRANSACTION_CHECK_TIMES on a copy of the half it writes back per check.
import { BadRequestError, isSubjectToken, Prop, TRANS_HALF_TOPIC, TRANS_OP_TOPIC, type TransactionAction } from "../src/protocol/index.js";
import type { PutMessage, StoredMessage } from "../src/store/index.js";

/** The properties asking for a timer (RocketMQ has no delayed transactional message). */
const TIMED = [Prop.delayLevel, Prop.timerDeliverMs, Prop.timerDelayMs, Prop.timerDelaySec] as const;

/** RocketMQ's TransactionalMessageUtil.REMOVE_TAG: every op record carries it. */
export const OP_TAG = "d";
/** On an op record: how the half ended. */
export const OP_ACTION = "TRAN_ACTION";
/** A check record's tag: it settles nothing. */
export const CHECK_TAG = "c";
/** On a check record: the unanswered checks of its half so far (RocketMQ's TRANSACTION_CHECK_TIMES). */
export const CHECK_TIMES = "TRANSACTION_CHECK_TIMES";

/**
 * A send whose properties say TRAN_MSG=true becomes a half message, in
 * place: stored in the half topic, its destination kept in properties.
 * Consumers never read the half topic (it has no topic config, so no
 * route and no pull). Other sends pass unchanged.
 */
export function toHalf(message: PutMessage): void {
  const props = message.properties;
  if (props?.[Prop.transactionPrepared] !== "true") return;
  const pg = props[Prop.producerGroup];
  if (!isSubjectToken(pg)) {
    throw new BadRequestError(`a half message (${Prop.transactionPrepared}=true) needs ${Prop.producerGroup}, the producer group asked to check it (letters, digits, '-' and '_')`);
  }
  for (const t of TIMED) {
    if (props[t] !== undefined) throw new BadRequestError(`a half message cannot wait for a timer (it has ${t}): commit it when the local transaction is done, or send the timed message after`);
  }
  props[Prop.realTopic] = message.topic;
  props[Prop.realQueueId] = String(message.queueId);
  message.topic = TRANS_HALF_TOPIC;
  message.queueId = 0;
}

/** Where a half goes on commit; undefined when its properties were not written by toHalf. */
export function destination(half: StoredMessage): { topic: string; queueId: number } | undefined {
  const topic = half.properties[Prop.realTopic];
  const queueId = Number(half.properties[Prop.realQueueId]);
  if (topic === undefined || !Number.isSafeInteger(queueId) || queueId < 0) return undefined;
  return { topic, queueId };
}

/**
 * The committed message: the half's body, tags, keys, born time and
 * properties, in its real queue, with TRAN_PREPARED_QUEUE_OFFSET naming the
 * half it settles. TRAN_MSG and REAL_* go; PGROUP and the transaction id
 * stay, as in RocketMQ. The body is copied: the lookup's buffer is a read's.
 */
export function committedMessage(half: StoredMessage, to: { topic: string; queueId: number }): PutMessage {
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(half.properties)) {
    if (k !== Prop.transactionPrepared && k !== Prop.realTopic && k !== Prop.realQueueId) properties[k] = v;
  }
  properties[Prop.transactionPreparedQueueOffset] = String(half.queueOffset);
  const m: PutMessage = { topic: to.topic, queueId: to.queueId, body: Buffer.from(half.body), properties, bornTimestamp: half.bornTimestamp, flags: half.flags };
  if (half.tags) m.tags = half.tags;
  if (half.keys) m.keys = half.keys;
  return m;
}

/** A record of the op queue about one half: its body is the half's queue offset. */
function aboutHalf(halfOffset: number, tags: string, properties: Record<string, string>): PutMessage {
  return { topic: TRANS_OP_TOPIC, queueId: 0, body: Buffer.from(String(halfOffset)), tags, properties };
}

export function opRecord(halfOffset: number, action: TransactionAction, producerGroup: string): PutMessage {
  return aboutHalf(halfOffset, OP_TAG, { [OP_ACTION]: action, [Prop.producerGroup]: producerGroup });
}

export function checkRecord(halfOffset: number, checks: number, producerGroup: string): PutMessage {
  return aboutHalf(halfOffset, CHECK_TAG, { [CHECK_TIMES]: String(checks), [Prop.producerGroup]: producerGroup });
}

/** The half queue offset and count a check record carries; undefined for a record that is not one. */
export function readCheck(record: StoredMessage): { halfOffset: number; checks: number } | undefined {
  const text = record.body.toString("latin1");
  const checks = Number(record.properties[CHECK_TIMES]);
  if (record.tags !== CHECK_TAG || !/^\d{1,16}$/.test(text) || !Number.isSafeInteger(checks) || checks < 1) return undefined;
  return { halfOffset: Number(text), checks };
}

/** The half queue offset and action an op record carries; undefined for a record that is not one. */
export function readOp(op: StoredMessage): { halfOffset: number; action: TransactionAction } | undefined {
  const text = op.body.toString("latin1");
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const action = op.properties[OP_ACTION];
  if (action !== "commit" && action !== "rollback") return undefined;
  return { halfOffset: Number(text), action };
}
