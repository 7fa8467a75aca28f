// tx.end on the master (RocketMQ's endTransaction): a producer commits or
// rolls back the half message it was given the id of. The broker reads
// the half itself: the request names it (offset and id, which must agree,
// and its producer group), it never carries the message, so a client can
// settle only a record that is a half of its group, and never forge one.
import type { Msg } from "@nats-io/transport-node";
import { BadRequestError, decodeMsgId, decodeTxEnd, ErrorCode, encodeMsgId, Prop, RbusError, TRANS_HALF_TOPIC, type TxEndResult } from "../src/protocol/index.js";
import { assertMaster, type BrokerContext } from "./broker-context.js";
import { scopedGroup } from "./group-scope.js";
import type { TransactionService } from "./transaction-service.js";
import { settleHalf } from "./transaction-settle.js";

export function txEndHandler(ctx: BrokerContext, service: TransactionService) {
  return async (msg: Msg): Promise<TxEndResult> => {
    assertMaster(ctx);
    const req = decodeTxEnd(msg.data);
    // the subject's last token is the producer group NATS let the sender use
    scopedGroup(msg, req.producerGroup);
    const id = decodeMsgId(req.msgId);
    if (!id || id.group !== ctx.group || id.commitLogOffset !== req.commitLogOffset) {
      throw new BadRequestError(`msgId "${req.msgId}" does not name commit-log offset ${req.commitLogOffset} of ${ctx.group} (expected "${encodeMsgId(ctx.group, req.commitLogOffset)}")`);
    }
    const ledger = service.ledger();
    if (!ledger) throw new RbusError(ErrorCode.BROKER_BUSY, `${ctx.group}.${ctx.replica} is loading its transaction state (it just became master); settle again in a moment`);
    const half = ctx.store.lookup(req.commitLogOffset);
    if (!half) throw new RbusError(ErrorCode.NOT_FOUND, `no message starts at commit-log offset ${req.commitLogOffset} of ${ctx.group}`, { commitLogOffset: req.commitLogOffset });
    if (half.topic !== TRANS_HALF_TOPIC) throw new BadRequestError(`the message at ${req.msgId} is not a half message (it is in topic "${half.topic}")`);
    const pg = half.properties[Prop.producerGroup];
    if (pg !== req.producerGroup) {
      throw new RbusError(ErrorCode.FORBIDDEN, `half message ${req.msgId} belongs to producer group "${pg}", not "${req.producerGroup}"`);
    }
    if (req.commitLogOffset >= ctx.store.commitOffset) {
      throw new RbusError(ErrorCode.BROKER_BUSY, `half message ${req.msgId} is not committed yet; settle it again in a moment`);
    }
    const r = await settleHalf(ctx, ledger, half, pg, req.action);
    if (r.settled) ctx.log.debug("half message settled", { producerGroup: pg, halfOffset: r.halfOffset, action: req.action, fromCheck: req.fromCheck === true });
    return r;
  };
}
