// Settling one half message: on commit the real message and the op record
// in one atomic put (both or neither are in the log), on rollback the op
// record alone. The ledger claims the half first, so two settles of one
// half (a producer's commit racing a check's answer, a retried tx.end)
// write once; the loser is told how it was settled. Under ack=quorum the
// reply waits until a majority holds the records, as a send's does.
import { encodeMsgId, ErrorCode, RbusError, type TransactionAction, type TxEndResult } from "../src/protocol/index.js";
import { PutStatus, type StoredMessage } from "../src/store/index.js";
import { assertMaster, type BrokerContext } from "./broker-context.js";
import { committed } from "./send-outcome.js";
import { committedMessage, destination, opRecord } from "./transaction-half.js";
import type { TransactionLedger } from "./transaction-ledger.js";

function putFailed(status: PutStatus): RbusError {
  if (status === PutStatus.DISK_FULL) return new RbusError(ErrorCode.DISK_FULL, "the broker's disk is full: the half message is not settled; settle it again later");
  if (status === PutStatus.MESSAGE_TOO_LARGE || status === PutStatus.MESSAGE_ILLEGAL) {
    return new RbusError(ErrorCode.MESSAGE_TOO_LARGE, `the committed message cannot be stored (${status}); roll it back`);
  }
  return new RbusError(ErrorCode.BROKER_BUSY, `the broker could not write the settle (${status}); nothing was stored, settle it again`);
}

export async function settleHalf(ctx: BrokerContext, ledger: TransactionLedger, half: StoredMessage, producerGroup: string, action: TransactionAction): Promise<TxEndResult> {
  const halfOffset = half.queueOffset;
  if (!ledger.begin(halfOffset, action)) {
    const by = ledger.settledAs(halfOffset);
    return { settled: false, by: by === "earlier" || by === undefined ? action : by, halfOffset, ...(by === "earlier" ? { earlier: true } : {}) };
  }
  let written = false;
  try {
    const messages = [opRecord(halfOffset, action, producerGroup)];
    if (action === "commit") {
      const to = destination(half);
      if (!to) throw new RbusError(ErrorCode.CORRUPT_RECORD, `half message at ${half.commitLogOffset} has no REAL_TOPIC/REAL_QID: it cannot be committed; roll it back`);
      ctx.topics.forWrite(to.topic, to.queueId);
      messages.unshift(committedMessage(half, to));
    }
    // a check's answer can come back after this replica stopped being master: only a master writes
    assertMaster(ctx);
    const put = await ctx.store.put(messages, { atomic: true });
    if (put.status !== PutStatus.PUT_OK && put.status !== PutStatus.FLUSH_TIMEOUT) throw putFailed(put.status);
    const op = put.results.at(-1)!;
    ledger.done(halfOffset, action, op.queueOffset, put.end);
    written = true;
    if (action === "commit") ctx.counters.put(messages[0]!.topic, 1, messages[0]!.body.byteLength);
    await committed(ctx, put.end);
    const real = put.results[0]!;
    return { settled: true, by: action, halfOffset, ...(action === "commit" ? { msgId: encodeMsgId(ctx.group, real.commitLogOffset) } : {}) };
  } finally {
    if (!written) ledger.abandon(halfOffset);
  }
}
