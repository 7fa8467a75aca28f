// Admin operations on topics and queues (mqadmin topicStatus, updateTopic,
// deleteTopic, queryMsgByOffset, printMsg), each over every master that
// serves the topic.
import {
  AUTO_CREATE_TOPIC,
  ErrorCode,
  RbusError,
  type ErrorDetails,
  type Perm,
  type QueueMessagesReply,
  type TopicConfig,
  type TopicDeleteReply,
  type TopicStatusReply,
  type WireMessage,
} from "../protocol/index.js";
import { AdminBase } from "./admin-base.js";
import { fanOut, notAnywhere, type MasterAddress } from "./admin-fanout.js";

export interface TopicUpdate {
  topic: string;
  /** Both counts at once (mqadmin's -r and -w together)… */
  queues?: number;
  /** …or each on its own; unset counts keep their current value (4 for a new topic). */
  readQueues?: number;
  writeQueues?: number;
  perm?: Perm;
  /** Only these broker groups (default: every live master). */
  groups?: string[];
}

/** Messages of one queue read per printMsg call at most (it loops over replies). */
export const MAX_PRINT_MESSAGES = 10_000;

export class AdminTopics extends AdminBase {
  /** Min and max offset and last store time of every queue of the topic, per master that has it (mqadmin topicStatus). */
  async topicStatus(topic: string): Promise<TopicStatusReply[]> {
    const masters = (await this.masters()).map((b) => ({ group: b.group, address: b.address }));
    const found = await fanOut(masters, (m) => this.ask<TopicStatusReply>(m.address, "topic.status", { topic }), { code: ErrorCode.TOPIC_NOT_EXIST, name: topic, what: "topic" });
    return found.map((f) => f.reply).sort((a, b) => a.group.localeCompare(b.group));
  }

  /**
   * Changes queue counts or permission of a topic on every master (or the
   * named groups'), keeping what is not given (mqadmin updateTopic). Zero
   * queues are refused by the brokers (BAD_REQUEST).
   */
  async updateTopic(u: TopicUpdate): Promise<Array<TopicConfig & { group: string }>> {
    const masters = await this.masters(u.groups);
    return Promise.all(
      masters.map(async (b) => {
        const { topics } = await this.ask<{ topics: TopicConfig[] }>(b.address, "topic.list", {});
        const now = topics.find((t) => t.topic === u.topic);
        const config: TopicConfig = {
          topic: u.topic,
          readQueues: u.readQueues ?? u.queues ?? now?.readQueues ?? 4,
          writeQueues: u.writeQueues ?? u.queues ?? now?.writeQueues ?? 4,
          perm: u.perm ?? now?.perm ?? "rw",
        };
        const done = await this.ask<TopicConfig>(b.address, "topic.upsert", config);
        return { ...done, group: b.group };
      }),
    );
  }

  /**
   * Deletes the topic on the master of every group its route lists (mqadmin
   * deleteTopic): config, consume queues and offsets; records stay in the
   * commit log until retention. Each broker registers at once, so routes
   * stop listing it within a round trip to the NameServers.
   */
  async deleteTopic(topic: string, opts: { groups?: string[] } = {}): Promise<TopicDeleteReply[]> {
    if (topic === AUTO_CREATE_TOPIC) throw new RbusError(ErrorCode.BAD_REQUEST, `${AUTO_CREATE_TOPIC} is the template topic auto-creation needs; it is not deleted`);
    const masters = await this.topicMasters(topic, opts.groups);
    return Promise.all(masters.map((m) => this.ask<TopicDeleteReply>(m.address, "topic.delete", { topic })));
  }

  /** The message at a queue offset of one broker group's queue (mqadmin queryMsgByOffset). */
  async messageByOffset(topic: string, group: string, queueId: number, offset: number): Promise<WireMessage> {
    const [m] = await this.topicMasters(topic, [group]);
    const reply = await this.ask<QueueMessagesReply>(m!.address, "message", { topic, queueId, offset, max: 1 });
    return reply.messages[0]!;
  }

  /**
   * Up to `count` messages of one queue from `offset` (mqadmin printMsg),
   * over as many replies as it takes; stops at the queue's end, or at a
   * damaged record after good ones (`corrupt` names it; `nextOffset` is
   * at it). `nextOffset` says where to go on.
   */
  async queueMessages(topic: string, group: string, queueId: number, offset: number, count: number): Promise<QueueMessagesReply & { corrupt?: ErrorDetails }> {
    const want = Math.min(Math.max(1, count), MAX_PRINT_MESSAGES);
    const [m] = await this.topicMasters(topic, [group]);
    const messages: WireMessage[] = [];
    let reply: QueueMessagesReply = await this.ask<QueueMessagesReply>(m!.address, "message", { topic, queueId, offset, max: Math.min(want, 1000) });
    messages.push(...reply.messages);
    while (messages.length < want && reply.nextOffset < reply.maxOffset && reply.messages.length > 0) {
      const next = { topic, queueId, offset: reply.nextOffset, max: Math.min(want - messages.length, 1000) };
      try {
        reply = await this.ask<QueueMessagesReply>(m!.address, "message", next);
      } catch (err) {
        // a damaged record after some good ones: what was read, and the damage, rather than nothing
        if (err instanceof RbusError && err.code === ErrorCode.CORRUPT_RECORD) return { ...reply, messages, corrupt: err.details ?? {} };
        throw err;
      }
      messages.push(...reply.messages);
    }
    return { ...reply, messages };
  }

  /** The route's masters; an unknown topic is TOPIC_NOT_EXIST naming the nearest topic any master has. */
  protected async topicMasters(topic: string, groups?: string[]): Promise<MasterAddress[]> {
    try {
      return await this.routeMasters(topic, groups);
    } catch (err) {
      if (!(err instanceof RbusError) || err.code !== ErrorCode.TOPIC_NOT_EXIST) throw err;
      throw notAnywhere({ code: err.code, name: topic, what: "topic" }, await this.topicNames(), (await this.masters().catch(() => [])).length);
    }
  }

  /** Every topic name some live master has (hints only: empty when none answers). */
  protected async topicNames(): Promise<string[]> {
    const masters = await this.masters().catch(() => []);
    const lists = await Promise.all(masters.map((b) => this.ask<{ topics: TopicConfig[] }>(b.address, "topic.list", {}).catch(() => ({ topics: [] }))));
    return [...new Set(lists.flatMap((l) => l.topics.map((t) => t.topic)))].filter((t) => t !== AUTO_CREATE_TOPIC);
  }
}
