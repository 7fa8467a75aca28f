// Transactional messages on the wire (RocketMQ's endTransaction and
// checkTransactionState): a producer settles its half message with tx.end;
// the master asks the producer group about halves left unsettled on
// rbus.producer.<pg>.check and publishes what it decided on
// rbus.events.transaction.<pg>. docs/transactions.md tells the whole flow.
import { bool, int, name, oneOf, parseObject, str, type Json } from "./validate.js";
import { BadRequestError } from "./errors.js";

/** How a half message ends: RocketMQ's LocalTransactionState without UNKNOW, which settles nothing. */
export type TransactionAction = "commit" | "rollback";
/** A producer's answer to a check, and what a local transaction returns. */
export type TransactionState = TransactionAction | "unknown";
export const TRANSACTION_STATES: readonly TransactionState[] = ["commit", "rollback", "unknown"];

/** tx.end's payload: the half message by its commit-log offset and id, and what to do with it. */
export interface TxEndRequest {
  producerGroup: string;
  commitLogOffset: number;
  msgId: string;
  action: TransactionAction;
  /** Sent in answer to a check (RocketMQ's fromTransactionCheck): logged, and named in the event. */
  fromCheck?: boolean;
}

/** tx.end's reply. `settled` false: this half was settled before (`by` says how); nothing changed. */
export interface TxEndResult {
  settled: boolean;
  /** How the half ended: this request's action, or the earlier one's. */
  by: TransactionAction;
  /** The committed message's id in its real topic (commit only, when this request put it). */
  msgId?: string;
  halfOffset: number;
  /** Settled before what this broker remembers of actions: `by` then repeats this request's, unconfirmed. */
  earlier?: boolean;
}

export function decodeTxEnd(data: Uint8Array): TxEndRequest {
  const o: Json = parseObject(data);
  const req: TxEndRequest = {
    producerGroup: name(o, "producerGroup"),
    commitLogOffset: int(o, "commitLogOffset"),
    msgId: str(o, "msgId"),
    action: oneOf(o, "action", ["commit", "rollback"] as const),
  };
  if (o.fromCheck !== undefined) req.fromCheck = bool(o, "fromCheck");
  if (req.msgId.length > 256) throw new BadRequestError(`"msgId" is ${req.msgId.length} characters; a message id is far shorter`);
  return req;
}

/** What the master sends a producer group about one unsettled half message (RocketMQ's CheckTransactionStateRequestHeader plus the message). */
export interface TransactionCheckRequest {
  producerGroup: string;
  /** The half message's id (what sendHalf returned). */
  msgId: string;
  commitLogOffset: number;
  halfOffset: number;
  /** The real topic and queue it goes to on commit. */
  topic: string;
  queueId: number;
  /** Base64. */
  body: string;
  tags?: string;
  keys?: string;
  properties: Record<string, string>;
  /** The application's transaction id (__transactionId__), or the half's id when it set none. */
  transactionId: string;
  /** This check's number, from 1. */
  checkTimes: number;
  storedAt: number;
}

/** The producer's reply to a check. */
export interface TransactionCheckAnswer {
  state: TransactionState;
}

export function decodeCheckAnswer(data: Uint8Array): TransactionState {
  return oneOf(parseObject(data), "state", TRANSACTION_STATES);
}

/** On rbus.events.transaction.<pg>: a half the master settled itself, by a check's answer or by the check limit. */
export interface TransactionEvent {
  type: "commit" | "rollback";
  /** check: the producer group's answer to a check; check-max: transactionCheckMax checks went unanswered. */
  reason: "check" | "check-max";
  producerGroup: string;
  group: string;
  replica: number;
  msgId: string;
  halfOffset: number;
  topic: string;
  checks: number;
  at: number;
}
