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
  type OffsetCommitReply,
  type OffsetQueryReply,
  type QueueProgress,
} from "../src/protocol/index.js";
import type { BrokerContext } from "./broker-context.js";
import { scopedGroup } from "./group-scope.js";
import { limitExceeded } from "./limits.js";
import type { ResetEpochs } from "./reset-epochs.js";

/** Whether a commit of `clientId` for the queue is refused: another member holds its lock (queue-locks.ts). */
export type CommitFence = (group: string, clientId: string | undefined, topic: string, queueId: number, lock: number | undefined) => boolean;

export function offsetHandlers(ctx: BrokerContext, epochs: ResetEpochs, fenced: CommitFence = () => false) {
  const progress = (group: string, topic: string, queueId: number): QueueProgress => {
    const { min, max } = ctx.store.queueRange(topic, queueId);
    const row: QueueProgress = { queueId, offset: ctx.store.offsets.get(group, topic, queueId) ?? -1, minOffset: min, maxOffset: max };
    const epoch = epochs.get(group, topic, queueId);
    if (epoch > 0) row.epoch = epoch;
    return row;
  };

  return {
    async commit(msg: Msg): Promise<OffsetCommitReply> {
      const { group, clientId, entries } = decodeOffsetCommit(parseObject(msg.data));
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
      // a position read before the queue's last reset must not undo it (the member is told which, and re-reads)
      const stale: NonNullable<OffsetCommitReply["stale"]> = [];
      let committed = 0;
      for (const e of entries) {
        // a position read before the queue's last reset, or sent by a member that no longer holds the queue's lock
        if (epochs.stale(group, e.topic, e.queueId, e.epoch) || fenced(group, clientId, e.topic, e.queueId, e.lock)) {
          stale.push({ topic: e.topic, queueId: e.queueId, offset: ctx.store.offsets.get(group, e.topic, e.queueId) ?? -1, epoch: epochs.get(group, e.topic, e.queueId) });
          continue;
        }
        ctx.store.offsets.commit(group, e.topic, e.queueId, e.offset);
        committed++;
      }
      if (committed > 0) ctx.configChanged();
      // a consumer reading from a slave commits there: the master must have it for the next failover or rebalance,
      // and the reset epochs are the master's, so what it refused as stale is passed back to the member
      if (!ctx.isMaster() && ctx.replicas > 1) {
        const fromMaster = await ctx.forwardToMaster(scopedApi("offset.commit", group), msg.data)
          .catch((err) => void ctx.log.debug("offset commit not passed on to the master", { error: String(err) }));
        for (const s of staleOf(fromMaster)) {
          if (!stale.some((x) => x.topic === s.topic && x.queueId === s.queueId)) stale.push(s);
        }
      }
      return stale.length > 0 ? { ok: true, committed, stale } : { ok: true, committed };
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

/** The `stale` rows of a master's offset.commit reply, checked field by field (it crossed the bus). */
function staleOf(reply: unknown): NonNullable<OffsetCommitReply["stale"]> {
  const rows = (reply as { stale?: unknown } | undefined)?.stale;
  if (!Array.isArray(rows)) return [];
  return rows.filter((r): r is NonNullable<OffsetCommitReply["stale"]>[number] =>
    typeof r === "object" && r !== null && typeof r.topic === "string" && Number.isSafeInteger(r.queueId) && Number.isSafeInteger(r.offset) && typeof r.epoch === "number");
}
