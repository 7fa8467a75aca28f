// The operator's view of consumer groups on one broker: who is connected
// (consumer.connection), how far each queue is consumed and by whom
// (consumer.progress), and the groups' stored settings (subgroup.upsert,
// subgroup.list). A group nobody here knows is GROUP_NOT_EXIST with the
// nearest known name, so a typo is not answered with an empty table.
import type { Msg } from "@nats-io/transport-node";
import {
  decodeConsumerProgress,
  decodeGroupRequest,
  decodeSubscriptionGroup,
  defaultSubscriptionGroup,
  didYouMean,
  encodeJson,
  ErrorCode,
  nearestName,
  parseObject,
  RbusError,
  type ConsumerConnectionReply,
  type ConsumerProgressReply,
  type QueueProgressRow,
  type SubscriptionGroupConfig,
} from "../src/protocol/index.js";
import { assertMaster, type BrokerContext } from "./broker-context.js";
import type { ConsumerTable } from "./consumer-table.js";
import { limitExceeded } from "./limits.js";
import { fittingPrefix } from "./reply-limits.js";

/** Rows one progress answer lists at most before fitting it to a reply. */
const MAX_PROGRESS_ROWS = 10_000;

/** GROUP_NOT_EXIST for `group`, naming the closest group this broker knows. */
export function groupNotExist(group: string, known: Iterable<string>, where: string): RbusError {
  const nearest = nearestName(group, known);
  return new RbusError(ErrorCode.GROUP_NOT_EXIST, `consumer group "${group}" is not known on ${where}${didYouMean(nearest)}`, {
    group,
    ...(nearest === undefined ? {} : { nearest }),
  });
}

/** The reply with as many of `list`'s items as fit the budget, `truncated` when some were left out. */
function fitted<T extends object>(reply: T, key: keyof T & string, budget: number): Uint8Array {
  const data = encodeJson(reply);
  if (data.byteLength <= budget) return data;
  const items = reply[key] as unknown as unknown[];
  const rest = Buffer.byteLength(JSON.stringify({ ...reply, [key]: [], truncated: true }));
  return encodeJson({ ...reply, [key]: items.slice(0, fittingPrefix(items, budget - rest)), truncated: true });
}

/** "topic\u0000queueId" → the member holding that queue's lock (actors/queue-locks.ts). */
export type LockHolders = (group: string) => ReadonlyMap<string, { clientId: string }>;

export function groupHandlers(ctx: BrokerContext, consumers: ConsumerTable, lockHolders: LockHolders = () => new Map()) {
  const where = `${ctx.group}.${ctx.replica}`;
  const isKnown = (group: string) => consumers.has(group) || ctx.store.offsets.hasGroup(group) || ctx.store.subgroups.get(group) !== undefined;
  /** Every group name this broker has heard of (for the nearest-name hint). */
  function* known(): Iterable<string> {
    yield* consumers.groupNames();
    yield* ctx.store.offsets.groups();
    for (const g of ctx.store.subgroups.all()) yield g.group;
  }
  const mustKnow = (group: string) => {
    if (!isKnown(group)) throw groupNotExist(group, known(), where);
  };

  return {
    isKnown,
    mustKnow,

    connection(msg: Msg): Uint8Array {
      const { group } = decodeGroupRequest(parseObject(msg.data));
      mustKnow(group);
      const members = consumers.details(group).map(({ clientId, host, version, mode, subscriptions, queues, at }) => ({
        clientId, host, version, mode, subscriptions: [...subscriptions], queues: queues.length, lastHeartbeatAt: at,
      }));
      const reply: ConsumerConnectionReply = { group, broker: ctx.group, members, count: members.length };
      return fitted(reply, "members", ctx.replyBudget());
    },

    progress(msg: Msg): Uint8Array {
      const q = decodeConsumerProgress(parseObject(msg.data));
      mustKnow(q.group);
      const topics = new Set<string>();
      if (q.topic !== undefined) {
        ctx.topics.forRead(q.topic, 0); // TOPIC_NOT_EXIST (with the nearest topic) for a typo
        topics.add(q.topic);
      } else {
        for (const topic of ctx.store.offsets.topicsOf(q.group)) topics.add(topic);
        for (const m of consumers.details(q.group)) for (const s of m.subscriptions) topics.add(s.topic);
      }
      const owners = consumers.owners(q.group);
      const locks = lockHolders(q.group);
      const rows: QueueProgressRow[] = [];
      for (const topic of [...topics].sort()) {
        const config = ctx.topics.get(topic);
        if (!config) continue;
        for (let queueId = 0; queueId < config.readQueues && rows.length < MAX_PROGRESS_ROWS; queueId++) {
          const { min, max } = ctx.store.queueRange(topic, queueId);
          const offset = ctx.store.offsets.get(q.group, topic, queueId) ?? -1;
          const row: QueueProgressRow = { topic, queueId, offset, minOffset: min, maxOffset: max, lag: Math.max(0, max - (offset < 0 ? min : offset)) };
          const owner = owners.get(`${topic}\u0000${queueId}`);
          if (owner !== undefined) row.owner = owner;
          const lock = locks.get(`${topic}\u0000${queueId}`);
          if (lock !== undefined) row.lockedBy = lock.clientId;
          rows.push(row);
        }
      }
      const reply: ConsumerProgressReply = { group: q.group, broker: ctx.group, queues: rows };
      if (rows.length >= MAX_PROGRESS_ROWS) reply.truncated = true;
      return fitted(reply, "queues", ctx.replyBudget());
    },

    subgroupUpsert(msg: Msg): SubscriptionGroupConfig {
      assertMaster(ctx);
      const o = parseObject(msg.data);
      const { group } = decodeGroupRequest(o);
      const current = ctx.store.subgroups.get(group);
      const config = decodeSubscriptionGroup(o, current);
      const max = ctx.limits.maxConsumerGroups;
      if (!current && ctx.store.subgroups.size >= max) {
        throw limitExceeded("maxConsumerGroups", max, `settings are kept for ${max} consumer groups already`, { group });
      }
      try {
        ctx.store.subgroups.put(config);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOSPC" && code !== "EDQUOT") throw err;
        throw new RbusError(ErrorCode.DISK_FULL, `settings of "${group}" cannot be saved: the broker's disk is full`);
      }
      ctx.configChanged();
      ctx.log.info("subscription group upserted", { ...config });
      return config;
    },

    /** {} → every stored group's settings; {group} → that one's (the defaults for a known group with none stored). */
    subgroupList(msg: Msg): { groups: SubscriptionGroupConfig[] } {
      const o = parseObject(msg.data);
      if (o.group === undefined) return { groups: ctx.store.subgroups.all() };
      const { group } = decodeGroupRequest(o);
      mustKnow(group);
      return { groups: [ctx.store.subgroups.get(group) ?? defaultSubscriptionGroup(group)] };
    },
  };
}
