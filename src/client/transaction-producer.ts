// Transactional sends on the producer (RocketMQ's TransactionMQProducer):
// a half message is a send carrying TRAN_MSG=true and PGROUP, on
// send.half.<producer group>, which the broker keeps in its half topic; its handle commits or rolls it
// back with tx.end on the master of the group that stored it (named in
// the message id). sendMessageInTransaction runs the local transaction
// between the two, as RocketMQ's does.
import {
  BadRequestError,
  BrokerApi,
  decodeMsgId,
  isSubjectToken,
  Prop,
  scopedApi,
  type ScopedApi,
  type SendResult,
  type TransactionAction,
  type TransactionState,
  type TxEndResult,
} from "../protocol/index.js";
import type { Message } from "./producer-message.js";

/** A stored half message, settled by commit() or rollback() (or, if neither comes, by the broker's check-back). */
export interface HalfMessage {
  msgId: string;
  /** The send's result: msgId and the half queue offset it got. */
  sent: SendResult;
  commit(): Promise<TxEndResult>;
  rollback(): Promise<TxEndResult>;
}

/** What sendMessageInTransaction did: the half's send, the local transaction's answer, and the settle (none for unknown). */
export interface TransactionSendResult {
  sent: SendResult;
  state: TransactionState;
  settled?: TxEndResult;
  /** What the local transaction threw (its state is then "unknown"). */
  error?: unknown;
}

/** The local transaction: runs after the half is stored; its answer settles it ("unknown" leaves it to check-back). */
export type LocalTransaction = (msg: Message, msgId: string) => TransactionState | Promise<TransactionState>;

/** The part of Producer a transaction needs. */
export interface TransactionSender {
  readonly producerGroup: string;
  send(msg: Message): Promise<SendResult>;
  endTransaction(topic: string, msgId: string, action: TransactionAction, fromCheck?: boolean): Promise<TxEndResult>;
}

/** The message as a half: TRAN_MSG and PGROUP set, the caller's properties kept. */
export function asHalf(msg: Message, producerGroup: string): Message {
  if (msg.queueId !== undefined) throw new BadRequestError("a half message cannot pin a queue id here; the broker keeps its queue for the commit");
  return { ...msg, properties: { ...msg.properties, [Prop.transactionPrepared]: "true", [Prop.producerGroup]: producerGroup } };
}

/** Where a single send goes: a half (TRAN_MSG, however it was set) on send.half.<its PGROUP>, anything else on send. */
export function sendApi(msg: Message): "send" | ScopedApi {
  const props = msg.properties;
  if (props?.[Prop.transactionPrepared] === undefined) return "send";
  const group = props[Prop.producerGroup];
  if (!isSubjectToken(group)) throw new BadRequestError(`a half message (${Prop.transactionPrepared}) needs ${Prop.producerGroup}, its producer group (letters, digits, '-' and '_')`);
  return scopedApi(BrokerApi.sendHalf, group);
}

/** The broker group and commit-log offset a half's id names (tx.end goes to that group's master). */
export function halfAddress(msgId: string): { group: string; commitLogOffset: number } {
  const id = decodeMsgId(msgId);
  if (!id) throw new BadRequestError(`"${msgId}" is not a message id`);
  return id;
}

export async function sendHalf(p: TransactionSender, msg: Message): Promise<HalfMessage> {
  const sent = await p.send(asHalf(msg, p.producerGroup));
  const settle = (action: TransactionAction) => p.endTransaction(msg.topic, sent.msgId, action);
  return { msgId: sent.msgId, sent, commit: () => settle("commit"), rollback: () => settle("rollback") };
}

/**
 * RocketMQ's sendMessageInTransaction: the half is stored, then the local
 * transaction runs; commit or rollback settles it at once. A local
 * transaction that throws or answers "unknown" leaves the half for the
 * broker's check-back, as does a settle that fails (the error is thrown
 * after the half is safely stored: it will be checked).
 */
export async function sendInTransaction(p: TransactionSender, msg: Message, local: LocalTransaction): Promise<TransactionSendResult> {
  const half = await sendHalf(p, msg);
  let state: TransactionState;
  try {
    state = await local(msg, half.msgId);
  } catch (error) {
    return { sent: half.sent, state: "unknown", error };
  }
  if (state === "unknown") return { sent: half.sent, state };
  const settled = state === "commit" ? await half.commit() : await half.rollback();
  return { sent: half.sent, state, settled };
}
