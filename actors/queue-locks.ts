// lock.batch.<cg> and unlock.batch.<cg> on the master: the queue locks
// orderly consumers hold while they process a queue (RocketMQ's
// lockBatchMQ / unlockBatchMQ). The table itself is queue-locks-table.ts;
// here it meets the consumer table (only a live member gets a lock, and a
// member that leaves or expires loses its locks) and the replica's role (a
// new master starts empty and quiet for one lease, for the groups that
// locked before: each group's first grant marks it consumeMessageOrderly in
// the subscription groups, which are persisted and copied to slaves).
import type { Msg } from "@nats-io/transport-node";
import { decodeLockBatch, defaultSubscriptionGroup, parseObject, type LockBatchReply, type UnlockBatchReply } from "../src/protocol/index.js";
import { assertMaster, type BrokerContext } from "./broker-context.js";
import type { ConsumerTable } from "./consumer-table.js";
import { scopedGroup } from "./group-scope.js";
import { lockKey, QueueLockTable, type LockHolder } from "./queue-locks-table.js";

/** RocketMQ's rocketmq.broker.rebalance.lockMaxLiveTime. */
export const DEFAULT_LOCK_LEASE_MS = 60_000;

export interface QueueLocks {
  lockBatch(msg: Msg): LockBatchReply;
  unlockBatch(msg: Msg): UnlockBatchReply;
  /** The consumer table's membership of `group` changed: members gone lose their locks. */
  membersChanged(group: string, members: readonly string[]): void;
  /**
   * Whether an offset commit by `clientId` is refused: in a group whose
   * members hold locks, only a queue's holder commits it. A member cut off
   * while it held the lock may have commits in flight that arrive long
   * after another member moved the queue on; they must not move it back.
   */
  fenced(group: string, clientId: string | undefined, topic: string, queueId: number, lock: number | undefined): boolean;
  /** Who holds each queue of `group` now ("topic\u0000queueId" → holder), for consumer.progress. */
  holders(group: string): Map<string, LockHolder>;
}

export function queueLocks(ctx: BrokerContext, consumers: ConsumerTable, leaseMs = DEFAULT_LOCK_LEASE_MS): QueueLocks {
  const { clock } = ctx;
  const table = new QueueLockTable(leaseMs, clock.now());
  let sweptAt = clock.now();
  /** Groups whose members may hold a lock this replica did not grant: those that locked before it became master. */
  const markedOrderly = () => new Set(ctx.store.subgroups.all().filter((g) => g.consumeMessageOrderly).map((g) => g.group));
  let mayBeHeld = markedOrderly();
  ctx.replication.on((e) => {
    if (e.type !== "role") return;
    if (e.role === "master") {
      table.becameMaster(clock.now());
      mayBeHeld = markedOrderly();
    } else table.clear();
  });
  /** Marks `group` as one that locks, before its first grant goes out, so a later master waits for its holders. */
  const markOrderly = (group: string) => {
    const current = ctx.store.subgroups.get(group);
    if (current?.consumeMessageOrderly) return;
    try {
      ctx.store.subgroups.put({ ...(current ?? defaultSubscriptionGroup(group)), consumeMessageOrderly: true });
      ctx.configChanged();
    } catch (err) {
      // unmarked, a later master would not wait a lease for this group's holders
      ctx.log.warn("could not mark the group orderly; a new master may grant its queues at once", { group, error: String(err) });
    }
  };
  return {
    lockBatch(msg) {
      assertMaster(ctx);
      const req = decodeLockBatch(parseObject(msg.data));
      scopedGroup(msg, req.group);
      const now = clock.now();
      if (now - sweptAt >= leaseMs) {
        table.sweep(now);
        sweptAt = now;
      }
      // a lock outliving its member's heartbeat would be dropped under the member while it trusts it
      const memberUntil = consumers.expiresAt(req.group, req.clientId);
      if (memberUntil === undefined || memberUntil <= now) return { locked: [], validMs: 0 };
      // only queues this broker serves: the table stays as small as the topic table, whatever clients ask
      const served = req.queues.filter((q) => q.queueId < (ctx.topics.get(q.topic)?.readQueues ?? 0));
      const locked = table.lock(req.group, req.clientId, served, now, mayBeHeld.has(req.group));
      if (locked.length > 0) markOrderly(req.group);
      return { locked, validMs: Math.min(leaseMs, memberUntil - now) };
    },
    unlockBatch(msg) {
      assertMaster(ctx);
      const req = decodeLockBatch(parseObject(msg.data));
      scopedGroup(msg, req.group);
      return { unlocked: table.unlock(req.group, req.clientId, req.queues) };
    },
    membersChanged: (group, members) => table.retain(group, members),
    holders: (group) => table.holders(group, clock.now()),
    fenced(group, clientId, topic, queueId, lock) {
      if (!table.locking(group)) return false; // a group that locks nothing (not orderly), or a new master's empty table
      const h = table.holder(group, { topic, queueId }, clock.now());
      return h === undefined || h.clientId !== clientId || (lock !== undefined && lock !== h.token);
    },
  };
}

export { lockKey };
