// Reads the half and op queues into a TransactionLedger, and keeps its
// progress in the consumer-offsets table under a reserved group, which
// slaves copy with the topic table (ha.config): a new master or a
// restarted broker starts from there, not from the queues' beginnings.
import { GetStatus, type MessageStore } from "../src/store/index.js";
import { Prop, TRANSACTION_GROUP, TRANS_HALF_TOPIC, TRANS_OP_TOPIC } from "../src/protocol/index.js";
import type { Logger } from "../src/runtime/log.js";
import { readCheck, readOp } from "./transaction-half.js";
import { TransactionLedger } from "./transaction-ledger.js";

/** The consumer group whose offsets on the half and op queues are the transaction progress (isSystemGroup: no client moves it). */
export { TRANSACTION_GROUP };
const BATCH = 256;

/** The ledger as the store's queues and saved progress say: every op read, every unsettled half pending. */
export function loadLedger(store: MessageStore, log: Logger): TransactionLedger {
  const half = store.queueRange(TRANS_HALF_TOPIC, 0);
  const op = store.queueRange(TRANS_OP_TOPIC, 0);
  const halfFrom = Math.max(half.min, store.offsets.get(TRANSACTION_GROUP, TRANS_HALF_TOPIC, 0) ?? half.min);
  const opFrom = Math.max(op.min, store.offsets.get(TRANSACTION_GROUP, TRANS_OP_TOPIC, 0) ?? op.min);
  const ledger = new TransactionLedger(halfFrom, opFrom);
  let ops = 0;
  for (let at = opFrom; at < op.max; ) {
    const got = store.get(TRANS_OP_TOPIC, 0, at, BATCH);
    if (got.status === GetStatus.CORRUPT_RECORD) {
      log.error("an op record of the transaction op queue is damaged: its half may be checked again", { queueOffset: at });
      at = got.nextOffset + 1;
      continue;
    }
    if (got.messages.length === 0) break;
    for (const m of got.messages) {
      const o = readOp(m);
      if (o) ledger.noteOp(o.halfOffset, o.action, m.queueOffset);
      else {
        const c = readCheck(m);
        if (c) ledger.noteCheck(c.halfOffset, c.checks, m.queueOffset);
      }
      ops++;
    }
    at = got.nextOffset;
  }
  const pending = scanHalves(store, ledger, log);
  if (pending > 0 || ops > 0) log.info("transaction state loaded", { halfFrom, opFrom, opsRead: ops, pending: ledger.pending.size });
  return ledger;
}

/** Reads halves stored since the last scan into the ledger; how many were read. */
export function scanHalves(store: MessageStore, ledger: TransactionLedger, log: Logger): number {
  const { max } = store.queueRange(TRANS_HALF_TOPIC, 0);
  let read = 0;
  while (ledger.halfScanned < max) {
    const got = store.get(TRANS_HALF_TOPIC, 0, ledger.halfScanned, BATCH);
    if (got.status === GetStatus.CORRUPT_RECORD) {
      // a half that cannot be read cannot be committed: step over it, loudly
      log.error("a half message is damaged and is dropped unsettled", { queueOffset: got.nextOffset });
      ledger.skipHalf(got.nextOffset, store.queueRange(TRANS_OP_TOPIC, 0).max);
      continue;
    }
    if (got.messages.length === 0) {
      // a hole or the queue's start moved (retention): go on from where the store says
      if (got.nextOffset <= ledger.halfScanned) break;
      ledger.halfScanned = got.nextOffset;
      continue;
    }
    for (const m of got.messages) {
      ledger.noteHalf({ halfOffset: m.queueOffset, commitLogOffset: m.commitLogOffset, producerGroup: m.properties[Prop.producerGroup] ?? "", storedAt: m.storeTimestamp });
      read++;
    }
  }
  return read;
}

/** Writes the ledger's progress into the offsets table when it moved; true when it did (the slaves should copy it). */
export function saveProgress(store: MessageStore, ledger: TransactionLedger): boolean {
  const moved = ledger.advance(store.commitOffset, store.queueRange(TRANS_OP_TOPIC, 0).max);
  if (!moved) return false;
  store.offsets.commit(TRANSACTION_GROUP, TRANS_HALF_TOPIC, 0, ledger.halfFrom);
  store.offsets.commit(TRANSACTION_GROUP, TRANS_OP_TOPIC, 0, ledger.opFrom);
  return true;
}
