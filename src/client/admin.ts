// Admin queries against the NameServers and brokers: who is there, what
// they know, topics and message lookups (RocketMQ's mqadmin).
import { decodeMsgId, ErrorCode, RbusError, type Perm, type TopicConfig, type WireMessage } from "../protocol/index.js";
import { requestJson } from "../runtime/request.js";
import { AdminGroups } from "./admin-groups.js";

export type { GroupMember, OffsetReset, ProgressRow } from "./admin-groups.js";
export type { TopicUpdate } from "./admin-topics.js";

export interface TopicPlacement extends TopicConfig {
  group: string;
}

/**
 * The operator's client: cluster and routes (AdminBase), topics and queues
 * (AdminTopics), consumer groups (AdminGroups), and here topic creation,
 * listing and message lookups.
 */
export class Admin extends AdminGroups {
  /** Creates or updates a topic on every master (or the named groups'), as `mqadmin updateTopic -c`. */
  async createTopic(opts: { topic: string; queues?: number; perm?: Perm; groups?: string[] }): Promise<TopicPlacement[]> {
    const queues = opts.queues ?? 4;
    const config: TopicConfig = { topic: opts.topic, readQueues: queues, writeQueues: queues, perm: opts.perm ?? "rw" };
    return Promise.all(
      (await this.masters(opts.groups)).map(async (b) => {
        const done = await requestJson<TopicConfig>(this.nc, this.subj.brokerApi(b.address, "topic.upsert"), config, this.timeoutMs);
        return { ...done, group: b.group };
      }),
    );
  }

  /** Every topic on every live master, one row per (topic, group). */
  async listTopics(): Promise<TopicPlacement[]> {
    const rows = await Promise.all(
      (await this.masters()).map(async (b) => {
        const { topics } = await requestJson<{ topics: TopicConfig[] }>(this.nc, this.subj.brokerApi(b.address, "topic.list"), {}, this.timeoutMs);
        return topics.map((t) => ({ ...t, group: b.group }));
      }),
    );
    return rows.flat().sort((a, b) => a.topic.localeCompare(b.topic) || a.group.localeCompare(b.group));
  }

  /** A message by id: the id names its group, whose master looks it up. */
  async messageById(msgId: string): Promise<WireMessage> {
    const id = decodeMsgId(msgId);
    if (!id) throw new RbusError(ErrorCode.BAD_REQUEST, `"${msgId}" is not a message id (<group>:<16 hex digits>)`);
    const [master] = await this.masters([id.group]);
    const { messages } = await requestJson<{ messages: WireMessage[] }>(this.nc, this.subj.brokerApi(master!.address, "message"), { msgId }, this.timeoutMs);
    return messages[0]!;
  }

  /** Messages with a key, from every group that serves the topic; an unknown topic is TOPIC_NOT_EXIST with the nearest name. */
  async messagesByKey(topic: string, key: string, max = 32): Promise<WireMessage[]> {
    const masters = await this.topicMasters(topic);
    const found = await Promise.all(masters.map(async (m) => (await this.ask<{ messages: WireMessage[] }>(m.address, "message", { topic, key, max })).messages));
    return found.flat().sort((a, b) => a.storedAt - b.storedAt);
  }
}
