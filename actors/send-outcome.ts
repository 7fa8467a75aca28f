// What a put means for the one who asked for it: the send's status (or the
// error for a put that stored nothing), and under ack=quorum the wait for
// a majority. Shared by send, send.batch and the broker's own puts (timer
// deliveries, ctx.timers.schedule).
import { BadRequestError, ErrorCode, RbusError, SendStatus } from "../src/protocol/index.js";
import { PutStatus, type PutResult } from "../src/store/index.js";
import { notMaster, type BrokerContext } from "./broker-context.js";

/**
 * Under ack=quorum, waits until a majority holds the put (the commit offset
 * passes its end). A master that is deposed meanwhile, or cannot reach a
 * majority in time, answers an error instead: it never acknowledges what it
 * has not committed. The message is in its log and may still survive there.
 * `deadline`: ms since the epoch the asker stops waiting (Rbus-Deadline).
 */
export async function committed(ctx: BrokerContext, end: number, deadline?: number): Promise<void> {
  if (ctx.ack !== "quorum" || ctx.replicas === 1 || end < 0) return;
  const waitMs = deadline === undefined ? ctx.commitTimeoutMs : Math.max(1, deadline - Date.now());
  const outcome = await ctx.replication.waitCommitted(end, waitMs);
  if (outcome === "committed") return;
  if (outcome === "not-master") throw notMaster(ctx, "stopped being the master before a majority held the message, which is not acknowledged");
  const { commit } = ctx.replication.status();
  throw new RbusError(ErrorCode.NOT_REPLICATED, `a majority of ${ctx.group}'s ${ctx.replicas} replicas did not hold the message within ${waitMs} ms; it is not acknowledged (are the slaves running?)`, {
    group: ctx.group, term: ctx.replication.term(), end, commit,
  });
}

/** The reply status for a put that stored everything, or the error for one that did not. */
export function sendStatus(put: PutResult): SendStatus {
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
