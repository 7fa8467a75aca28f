// consumer.sendback.<cg>: a consumer hands back a message its listener
// failed (RocketMQ's SendMessageProcessor.consumerSendMsgBack). The master
// reads the record by its commit-log offset, so the consumer cannot forge
// content, topic or attempt count, and stores a copy: through a timer into
// %RETRY%<cg> after the backoff of its attempt, or into %DLQ%<cg> once the
// attempts are used up (or when asked, delayLevel < 0). The reply goes out
// once the copy is stored and, under ack=quorum, held by a majority.
import type { Msg } from "@nats-io/transport-node";
import {
  decodeMsgId,
  decodeSendBack,
  encodeMsgId,
  ErrorCode,
  isSystemTopic,
  isTopicName,
  parseObject,
  RbusError,
  retryTopic,
  TIMER_TOPIC,
  type DlqEvent,
  type SendBackReply,
  type SendBackRequest,
  type TopicConfig,
} from "../src/protocol/index.js";
import { LookupStatus, type StoredMessage } from "../src/store/index.js";
import { assertMaster, type BrokerContext } from "./broker-context.js";
import { corruptRecordError } from "./corrupt-record.js";
import { scopedGroup } from "./group-scope.js";
import { decideSendBack } from "./retry-record.js";
import { RecentSendBacks } from "./retry-recent.js";
import { committed, sendStatus } from "./send-outcome.js";

export interface SendBackHooks {
  /** Publishes rbus.events.dlq.<cg>. */
  dlq(event: DlqEvent): void;
  /** The group's retry topic was just made here: tells its members (rbus.events.consumers.<cg>). */
  retryTopicMade(consumerGroup: string): void;
}

/** A system topic of one queue, made on first use (RocketMQ: createTopicInSendMessageBackMethod); whether it was made now. */
function systemTopic(ctx: BrokerContext, topic: string): { config: TopicConfig; made: boolean } {
  const config = ctx.topics.get(topic);
  return config ? { config, made: false } : { config: ctx.topics.upsert({ topic, readQueues: 1, writeQueues: 1, perm: "rw" }), made: true };
}

/** The record a send-back names, committed and not a system record other than the group's own retry topic. */
function recordFor(ctx: BrokerContext, consumerGroup: string, commitLogOffset: number, msgId: string): StoredMessage {
  const id = decodeMsgId(msgId);
  if (!id || id.group !== ctx.group || id.commitLogOffset !== commitLogOffset) {
    throw new RbusError(ErrorCode.BAD_REQUEST, `"msgId" ${JSON.stringify(msgId)} does not name offset ${commitLogOffset} of broker group ${ctx.group}`);
  }
  const found = ctx.store.lookupStatus(commitLogOffset);
  if (found.status === LookupStatus.CORRUPT_RECORD) throw corruptRecordError(found.corrupt);
  // a record consumers cannot see yet (not held by a majority) was never delivered: nothing to hand back
  if (found.status === LookupStatus.NOT_FOUND || found.message.commitLogOffset + found.message.size > ctx.store.commitOffset) {
    throw new RbusError(ErrorCode.NOT_FOUND, `no message ${msgId} on ${ctx.group} (removed by retention, never stored, or not committed)`, { msgId });
  }
  const record = found.message;
  if (isSystemTopic(record.topic) && record.topic !== retryTopic(consumerGroup)) {
    throw new RbusError(ErrorCode.NO_PERMISSION, `message ${msgId} is in system topic "${record.topic}": consumer group "${consumerGroup}" cannot hand it back`, {
      msgId, topic: record.topic,
    });
  }
  return record;
}

export function sendBackHandler(ctx: BrokerContext, hooks: SendBackHooks) {
  const recent = new RecentSendBacks();
  return async (msg: Msg): Promise<SendBackReply> => {
    assertMaster(ctx);
    const req = decodeSendBack(parseObject(msg.data));
    scopedGroup(msg, req.group);
    // a group name may take 128 characters, a topic 127: the longest cannot have a retry topic
    if (!isTopicName(retryTopic(req.group))) {
      throw new RbusError(ErrorCode.BAD_REQUEST, `consumer group "${req.group}" is too long for a retry topic (${retryTopic("").length} + the name must fit in 127 characters)`);
    }
    return recent.once(req.group, req.commitLogOffset, () => sendBack(req));
  };

  async function sendBack(req: SendBackRequest): Promise<SendBackReply> {
    const record = recordFor(ctx, req.group, req.commitLogOffset, req.msgId);
    const settings = ctx.store.subgroups.get(req.group);
    const d = decideSendBack({
      consumerGroup: req.group, brokerGroup: ctx.group, record, levels: ctx.timers.rules.levels.length,
      ...(req.delayLevel === undefined ? {} : { delayLevel: req.delayLevel }),
      ...(settings ? { maxReconsumeTimes: settings.retryMaxTimes } : req.maxReconsumeTimes === undefined ? {} : { maxReconsumeTimes: req.maxReconsumeTimes }),
    });
    const made = systemTopic(ctx, d.message.topic).made;
    let reply: SendBackReply;
    if (d.outcome === "retry") {
      // stored and, under ack=quorum, held by a majority when it resolves
      const t = await ctx.timers.schedule(d.message, ctx.clock.now() + ctx.timers.levelDelayMs(d.delayLevel));
      reply = { outcome: "retry", topic: d.message.topic, reconsumeTimes: d.reconsumeTimes, delayLevel: d.delayLevel, deliverAt: t.deliverAt, msgId: encodeMsgId(ctx.group, t.commitLogOffset) };
      // the members learn of the topic now, while the retry waits out its backoff
      if (made) hooks.retryTopicMade(req.group);
    } else {
      const put = await ctx.store.put([d.message]);
      sendStatus(put);
      await committed(ctx, put.end);
      const r = put.results[0]!;
      reply = { outcome: "dlq", topic: d.message.topic, reconsumeTimes: d.reconsumeTimes, msgId: encodeMsgId(ctx.group, r.commitLogOffset) };
      hooks.dlq({
        type: "dlq", consumerGroup: req.group, group: ctx.group, replica: ctx.replica, msgId: reply.msgId, queueOffset: r.queueOffset,
        originTopic: d.originTopic, originMsgId: d.originMsgId, reconsumeTimes: d.reconsumeTimes, reason: d.reason!, at: Date.now(),
      });
      ctx.log.info("message moved to the dead-letter queue", { consumerGroup: req.group, originMsgId: d.originMsgId, originTopic: d.originTopic, reconsumeTimes: d.reconsumeTimes, reason: d.reason });
    }
    // what this request wrote: the timer record (its delivery into the retry topic is the timer service's) or the dead letter
    ctx.counters.put(d.outcome === "retry" ? TIMER_TOPIC : d.message.topic, 1, d.message.body.byteLength);
    return reply;
  }
}
