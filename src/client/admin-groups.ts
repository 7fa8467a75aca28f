// Admin operations on consumer groups (mqadmin consumerConnection,
// consumerProgress, resetOffsetByTime, updateSubGroup), over every live
// master: a group is known to the brokers of the topics it reads.
import {
  ErrorCode,
  RbusError,
  type ConsumerConnection,
  type ConsumerConnectionReply,
  type ConsumerProgressReply,
  type OffsetResetReply,
  type QueueProgressRow,
  type SubscriptionGroupConfig,
} from "../protocol/index.js";
import { fanOut, notAnywhere, type MasterAddress } from "./admin-fanout.js";
import { AdminTopics } from "./admin-topics.js";

/** A member as every master that hears it sees it: `brokers` are the broker groups it heartbeats to. */
export interface GroupMember extends Omit<ConsumerConnection, "queues"> {
  brokers: string[];
  /** Queues it reads, over all those broker groups. */
  queues: number;
}

export interface ProgressRow extends QueueProgressRow {
  /** The broker group of the queue (queue ids are per broker group). */
  broker: string;
}

export interface OffsetReset {
  group: string;
  topic: string;
  /** One queue id (on every broker group, or `brokers`'), or every queue. */
  queueId?: number;
  /** ms since the epoch: each queue goes to its first message stored at or after it… */
  timestamp?: number;
  /** …or to its first or its last message. */
  to?: "first" | "last";
  /** Only these broker groups. */
  brokers?: string[];
}

const groupAbsent = (group: string) => ({ code: ErrorCode.GROUP_NOT_EXIST, name: group, what: "consumer group" });

export class AdminGroups extends AdminTopics {
  /** The group's members with host, version, mode and subscriptions (mqadmin consumerConnection); GROUP_NOT_EXIST with the nearest name. */
  async consumerConnection(group: string): Promise<{ group: string; members: GroupMember[] }> {
    const found = await fanOut(await this.liveMasters(), (m) => this.ask<ConsumerConnectionReply>(m.address, "consumer.connection", { group }), groupAbsent(group));
    const members = new Map<string, GroupMember>();
    for (const { reply } of found) {
      for (const m of reply.members) {
        const seen = members.get(m.clientId);
        if (!seen) members.set(m.clientId, { ...m, brokers: [reply.broker] });
        else {
          seen.brokers.push(reply.broker);
          seen.queues += m.queues;
          if (m.lastHeartbeatAt > seen.lastHeartbeatAt) Object.assign(seen, { ...m, queues: seen.queues, brokers: seen.brokers });
        }
      }
    }
    return { group, members: [...members.values()].sort((a, b) => a.clientId.localeCompare(b.clientId)) };
  }

  /**
   * Offset, lag and owner of every queue the group reads, or of one topic's
   * (mqadmin consumerProgress). A group no master knows is GROUP_NOT_EXIST
   * with `details.nearest`; a topic no master has, TOPIC_NOT_EXIST.
   */
  async consumerProgress(group: string, topic?: string): Promise<ProgressRow[]> {
    const body = topic === undefined ? { group } : { group, topic };
    const masters = await this.liveMasters();
    // a topic on some groups only: the others answer TOPIC_NOT_EXIST, which is no error unless all do
    const found = await fanOut(masters, async (m) => {
      try {
        return await this.ask<ConsumerProgressReply>(m.address, "consumer.progress", body);
      } catch (err) {
        if (err instanceof RbusError && err.code === ErrorCode.TOPIC_NOT_EXIST) return undefined;
        throw err;
      }
    }, groupAbsent(group));
    const answered = found.filter((f) => f.reply !== undefined);
    if (topic !== undefined && answered.length === 0 && found.length > 0) await this.topicMasters(topic); // throws TOPIC_NOT_EXIST with the nearest topic
    return answered
      .flatMap(({ reply }) => reply!.queues.map((q) => ({ ...q, broker: reply!.broker })))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.broker.localeCompare(b.broker) || a.queueId - b.queueId);
  }

  /**
   * Moves the group's offsets on a topic to a time, or to first or last, on
   * every master serving it (mqadmin resetOffsetByTime). Each master tells
   * the group's live members, which read from the new offsets at once
   * (each reply's `members` counts them; docs/protocol.md).
   */
  async resetOffset(r: OffsetReset): Promise<OffsetResetReply[]> {
    if ((r.timestamp === undefined) === (r.to === undefined)) throw new RbusError(ErrorCode.BAD_REQUEST, "give one of timestamp or to (first or last)");
    const target = r.timestamp !== undefined ? { timestamp: r.timestamp } : { to: r.to };
    const base = { group: r.group, topic: r.topic, ...target, ...(r.queueId === undefined ? {} : { queueId: r.queueId }) };
    const masters = await this.topicMasters(r.topic, r.brokers);
    // the group must be known somewhere; then brokers that never saw it get its offsets too
    const first = await Promise.all(masters.map((m) => this.ask<OffsetResetReply>(m.address, "offset.reset", base).catch((err: unknown) => ({ m, err }))));
    const unknown = first.filter((f): f is { m: MasterAddress; err: unknown } => "err" in f);
    for (const { err } of unknown) if (!(err instanceof RbusError) || err.code !== ErrorCode.GROUP_NOT_EXIST) throw err;
    if (unknown.length === masters.length) {
      const hints = unknown.map(({ err }) => (err as RbusError).details?.nearest).filter((n): n is string => typeof n === "string");
      throw notAnywhere(groupAbsent(r.group), hints, masters.length);
    }
    const replies = first.filter((f): f is OffsetResetReply => !("err" in f));
    for (const { m } of unknown) replies.push(await this.ask<OffsetResetReply>(m.address, "offset.reset", { ...base, create: true }));
    return replies.sort((a, b) => a.broker.localeCompare(b.broker));
  }

  /** Stores a group's settings on every master (or the named ones'), keeping what is not given (mqadmin updateSubGroup). */
  async updateSubGroup(config: Partial<SubscriptionGroupConfig> & { group: string }, opts: { brokers?: string[] } = {}): Promise<Array<SubscriptionGroupConfig & { broker: string }>> {
    const masters = await this.masters(opts.brokers);
    return Promise.all(masters.map(async (b) => ({ ...(await this.ask<SubscriptionGroupConfig>(b.address, "subgroup.upsert", config)), broker: b.group })));
  }

  /** Stored group settings per master; with a group, that group's (its defaults where a master has none stored). */
  async subGroups(group?: string): Promise<Array<SubscriptionGroupConfig & { broker: string }>> {
    const body = group === undefined ? {} : { group };
    const found = await fanOut(await this.liveMasters(), (m) => this.ask<{ groups: SubscriptionGroupConfig[] }>(m.address, "subgroup.list", body), groupAbsent(group ?? ""));
    return found.flatMap(({ group: broker, reply }) => reply.groups.map((g) => ({ ...g, broker }))).sort((a, b) => a.group.localeCompare(b.group) || a.broker.localeCompare(b.broker));
  }

  private async liveMasters(): Promise<MasterAddress[]> {
    return (await this.masters()).map((b) => ({ group: b.group, address: b.address }));
  }
}
