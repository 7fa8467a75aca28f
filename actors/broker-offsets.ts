// offset.commit and offset.query: consumer progress kept by the broker
// (RocketMQ's ConsumerOffsetManager), persisted by the store.
import type { Msg } from "@nats-io/transport-node";
import {
  decodeOffsetCommit,
  decodeOffsetQuery,
  ErrorCode,
  parseObject,
  RbusError,
  scopedApi,
  type OffsetQueryReply,
  type QueueProgress,
} from "../src/protocol/index.js";
import type { BrokerContext } from "./broker-context.js";
import { scopedGroup } from "./group-scope.js";
import { limitExceeded } from "./limits.js";

export function offsetHandlers(ctx: BrokerContext) {
  const progress = (group: string, topic: string, queueId: number): QueueProgress => {
    const { min, max } = ctx.store.queueRange(topic, queueId);
    return { queueId, offset: ctx.store.offsets.get(group, topic, queueId) ?? -1, minOffset: min, maxOffset: max };
  };

  return {
    async commit(msg: Msg): Promise<{ ok: true; committed: number }> {
      const { group, entries } = decodeOffsetCommit(parseObject(msg.data));
      scopedGroup(msg, group);
      // every group name that commits stays in the offsets table (and in every config snapshot): cap how many
      const max = ctx.limits.maxConsumerGroups;
      if (!ctx.store.offsets.hasGroup(group) && ctx.store.offsets.groups().length >= max) {
        throw limitExceeded("maxConsumerGroups", max, `consumer group "${group}" cannot commit: offsets are kept for ${max} groups already`, { group });
      }
      for (const e of entries) {
        const config = ctx.topics.forRead(e.topic, e.queueId);
        const { max } = ctx.store.queueRange(e.topic, e.queueId);
        if (e.offset > max) {
          throw new RbusError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${e.offset} is past the end of ${config.topic}/${e.queueId} (${max})`);
        }
      }
      for (const e of entries) ctx.store.offsets.commit(group, e.topic, e.queueId, e.offset);
      ctx.configChanged();
      // a consumer reading from a slave commits there: the master must have it for the next failover or rebalance
      if (!ctx.isMaster() && ctx.replicas > 1) {
        await ctx.forwardToMaster(scopedApi("offset.commit", group), msg.data).catch((err) => ctx.log.debug("offset commit not passed on to the master", { error: String(err) }));
      }
      return { ok: true, committed: entries.length };
    },

    query(msg: Msg): OffsetQueryReply {
      const q = decodeOffsetQuery(parseObject(msg.data));
      if (q.kind === "timestamp") {
        // each queue's row carries the offset at that time (it used to answer "queues": [] with the one offset beside it)
        const config = ctx.topics.forRead(q.topic, q.queueId ?? 0);
        const at = (queueId: number): QueueProgress => {
          const { min, max } = ctx.store.queueRange(q.topic, queueId);
          return { queueId, offset: ctx.store.offsetForTimestamp(q.topic, queueId, q.timestamp), minOffset: min, maxOffset: max };
        };
        if (q.queueId !== undefined) {
          const row = at(q.queueId);
          return { topic: q.topic, timestamp: q.timestamp, queues: [row], offset: row.offset };
        }
        return { topic: q.topic, timestamp: q.timestamp, queues: Array.from({ length: config.readQueues }, (_, i) => at(i)) };
      }
      if (q.kind === "queue") {
        ctx.topics.forRead(q.topic, q.queueId);
        return { topic: q.topic, queues: [progress(q.group, q.topic, q.queueId)] };
      }
      const config = ctx.topics.forRead(q.topic, 0);
      const queues: QueueProgress[] = [];
      for (let i = 0; i < config.readQueues; i++) queues.push(progress(q.group, q.topic, i));
      return { topic: q.topic, queues };
    },
  };
}
