// The operator's APIs on a broker's topics and queues: status per queue
// (topic.status), deletion (topic.delete), offset resets (offset.reset) and
// reading a queue by offset (the {topic, queueId, offset} form of message).
import type { Msg } from "@nats-io/transport-node";
import {
  AUTO_CREATE_TOPIC,
  decodeOffsetReset,
  decodeQueueMessages,
  decodeTopicRequest,
  encodeJson,
  ErrorCode,
  parseObject,
  RbusError,
  type Json,
  type OffsetResetNotice,
  type OffsetResetReply,
  type QueueMessagesReply,
  type TopicDeleteReply,
  type TopicStatusReply,
} from "../src/protocol/index.js";
import { GetStatus } from "../src/store/index.js";
import { assertMaster, type BrokerContext } from "./broker-context.js";
import { corruptRecordError } from "./corrupt-record.js";
import { refuseSystemGroup } from "./group-scope.js";
import type { ConsumerTable } from "./consumer-table.js";
import { limitExceeded } from "./limits.js";
import type { ResetEpochs } from "./reset-epochs.js";
import { fittingPrefix, tooLargeForReply } from "./reply-limits.js";
import { toWireMessage } from "./wire-message.js";

export interface ResetNotices {
  epochs: ResetEpochs;
  /** Publishes the notice on rbus.events.reset.<consumer group>. */
  publish(notice: OffsetResetNotice): void;
}

export function opsHandlers(ctx: BrokerContext, consumers: ConsumerTable, groups: { isKnown(g: string): boolean; mustKnow(g: string): void }, resets: ResetNotices) {
  return {
    topicStatus(msg: Msg): TopicStatusReply {
      const { topic } = decodeTopicRequest(parseObject(msg.data));
      const config = ctx.topics.forRead(topic, 0);
      const queues = [];
      for (let queueId = 0; queueId < config.readQueues; queueId++) {
        const { min, max } = ctx.store.queueRange(topic, queueId);
        queues.push({ queueId, minOffset: min, maxOffset: max, lastUpdated: ctx.store.lastStoredAt(topic, queueId) });
      }
      return { topic, group: ctx.group, queues };
    },

    async topicDelete(msg: Msg): Promise<TopicDeleteReply> {
      assertMaster(ctx);
      const { topic } = decodeTopicRequest(parseObject(msg.data));
      // the template routes topics nobody created yet: without it auto-creation stops cluster-wide
      if (topic === AUTO_CREATE_TOPIC) throw new RbusError(ErrorCode.BAD_REQUEST, `${AUTO_CREATE_TOPIC} is the template topic auto-creation needs; it is not deleted`);
      const done = await ctx.topics.remove(topic);
      if (done.deleted) ctx.log.info("topic deleted", { topic, queues: done.queues, offsets: done.offsets });
      return { topic, group: ctx.group, ...done };
    },

    offsetReset(msg: Msg): OffsetResetReply {
      assertMaster(ctx);
      const req = decodeOffsetReset(parseObject(msg.data));
      refuseSystemGroup(req.group);
      if (!req.create) groups.mustKnow(req.group);
      const config = ctx.topics.forRead(req.topic, req.queueId ?? 0);
      const max = ctx.limits.maxConsumerGroups;
      if (!ctx.store.offsets.hasGroup(req.group) && ctx.store.offsets.groups().length >= max) {
        throw limitExceeded("maxConsumerGroups", max, `offsets are kept for ${max} groups already`, { group: req.group });
      }
      const ids = req.queueId !== undefined ? [req.queueId] : Array.from({ length: config.readQueues }, (_, i) => i);
      const queues = ids.map((queueId) => {
        const range = ctx.store.queueRange(req.topic, queueId);
        const t = req.target;
        const offset = "timestamp" in t ? ctx.store.offsetForTimestamp(req.topic, queueId, t.timestamp) : t.to === "first" ? range.min : range.max;
        const from = ctx.store.offsets.get(req.group, req.topic, queueId) ?? -1;
        ctx.store.offsets.commit(req.group, req.topic, queueId, offset);
        return { queueId, from, offset, epoch: resets.epochs.bump(req.group, req.topic, queueId) };
      });
      ctx.configChanged();
      const members = consumers.members(req.group).length;
      // live members move at once; one that misses this has its next commit refused as stale and re-reads
      resets.publish({
        type: "reset", group: req.group, topic: req.topic, broker: ctx.group, at: ctx.clock.now(),
        queues: queues.map(({ queueId, offset, epoch }) => ({ queueId, offset, epoch })),
      });
      ctx.log.info("consumer offsets reset", { group: req.group, topic: req.topic, target: JSON.stringify(req.target), queues: queues.length, members });
      return { group: req.group, topic: req.topic, broker: ctx.group, queues, members };
    },

    /** message {topic, queueId, offset, max?}: the queue's messages from `offset`, as many as one reply carries. */
    queueMessages(o: Json): Uint8Array {
      const q = decodeQueueMessages(o);
      ctx.topics.forRead(q.topic, q.queueId);
      const { min, max } = ctx.store.queueRange(q.topic, q.queueId);
      if (q.offset < min || q.offset >= max) {
        throw new RbusError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${q.offset} is outside ${q.topic}/${q.queueId}'s messages [${min}, ${max})`, {
          topic: q.topic, queueId: q.queueId, offset: q.offset, minOffset: min, maxOffset: max,
        });
      }
      const budget = ctx.replyBudget();
      const got = ctx.store.get(q.topic, q.queueId, q.offset, q.max, { maxBytes: budget });
      if (got.status === GetStatus.CORRUPT_RECORD && got.messages.length === 0) throw corruptRecordError(got.corrupt!);
      const messages = got.messages.map((m) => toWireMessage(ctx.group, m));
      const reply: QueueMessagesReply = { messages, nextOffset: got.nextOffset, minOffset: min, maxOffset: max };
      const data = encodeJson(reply);
      if (data.byteLength <= budget) return data;
      // escaped or base64 bodies grow: keep the first ones that fit, and say where the rest starts
      const rest = Buffer.byteLength(JSON.stringify({ ...reply, messages: [] }));
      const n = fittingPrefix(messages, budget - rest);
      if (n === 0) throw tooLargeForReply(`message ${messages[0]!.msgId}`, Buffer.byteLength(JSON.stringify(messages[0])), budget, { msgId: messages[0]!.msgId });
      return encodeJson({ ...reply, messages: messages.slice(0, n), nextOffset: messages[n - 1]!.queueOffset + 1 });
    },
  };
}
