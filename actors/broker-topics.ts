// The broker's topic table in use: lookups with permission checks, and
// auto-creation of unknown topics when the broker allows it (RocketMQ's
// autoCreateTopicEnable, on by default as in RocketMQ's dev setup).
import { AUTO_CREATE_TOPIC, DEFAULT_QUEUES, didYouMean, ErrorCode, nearestName, RbusError, type Perm, type TopicConfig } from "../src/protocol/index.js";
import type { Logger } from "../src/runtime/log.js";
import type { MessageStore, TopicTable } from "../src/store/index.js";
import { limitExceeded, type BrokerLimits } from "./limits.js";

const canWrite = (p: Perm) => p === "rw" || p === "w";
const canRead = (p: Perm) => p === "rw" || p === "r";

export class BrokerTopics {
  constructor(
    private readonly table: TopicTable,
    private readonly autoCreate: boolean,
    /** Called after the table changed, so the broker registers it at once. */
    private readonly changed: () => void,
    log: Logger,
    private readonly limits: Pick<BrokerLimits, "maxTopics" | "maxQueuesPerTopic">,
    private readonly store: Pick<MessageStore, "deleteTopic">,
  ) {
    if (!autoCreate || table.get(AUTO_CREATE_TOPIC)) return;
    try {
      this.upsert(defaultConfig(AUTO_CREATE_TOPIC));
    } catch (err) {
      // a broker starting on a full disk still serves reads; the template comes with the next start
      log.warn(`template topic ${AUTO_CREATE_TOPIC} not created`, { error: String(err) });
    }
  }

  all(): TopicConfig[] {
    return this.table.all();
  }

  get(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  /** Stores the config (topics.json is written first); a full disk answers DISK_FULL, nothing changed. */
  upsert(config: TopicConfig): TopicConfig {
    this.checkLimits(config);
    try {
      this.table.put(config);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOSPC" && code !== "EDQUOT") throw err;
      throw new RbusError(ErrorCode.DISK_FULL, `topic "${config.topic}" cannot be saved: the broker's disk is full`);
    }
    this.changed();
    return config;
  }

  /** Refuses a new topic past maxTopics, or more queues than maxQueuesPerTopic; topics already stored stay. */
  private checkLimits(config: TopicConfig): void {
    const { maxTopics, maxQueuesPerTopic } = this.limits;
    const queues = Math.max(config.readQueues, config.writeQueues);
    if (queues > maxQueuesPerTopic) {
      throw limitExceeded("maxQueuesPerTopic", maxQueuesPerTopic, `topic "${config.topic}" asks for ${queues} queues`, { topic: config.topic, queues });
    }
    if (this.table.get(config.topic)) return;
    const topics = this.table.all().length;
    if (topics >= maxTopics) throw limitExceeded("maxTopics", maxTopics, `${topics} topics exist on this broker`, { topic: config.topic, topics });
  }

  /**
   * Deletes the topic from this broker (its config, consume queues and
   * offsets: MessageStore.deleteTopic) and registers the change at once,
   * so routes stop listing this group for it.
   */
  async remove(topic: string): Promise<{ deleted: boolean; queues: number; offsets: number }> {
    const done = await this.store.deleteTopic(topic);
    if (done.deleted || done.offsets > 0) this.changed();
    return done;
  }

  /** The most queues one topic has here (in status). */
  queuesTop(): number {
    let top = 0;
    for (const t of this.table.all()) top = Math.max(top, t.readQueues, t.writeQueues);
    return top;
  }

  /** The topic's config for a write to `queueId` (undefined: the broker picks), creating it if allowed. */
  forWrite(topic: string, queueId: number | undefined): TopicConfig {
    let config = this.table.get(topic);
    if (!config) {
      if (!this.autoCreate) throw this.notExist(topic);
      config = this.upsert(defaultConfig(topic));
    }
    if (!canWrite(config.perm)) throw new RbusError(ErrorCode.NO_PERMISSION, `topic "${topic}" is not writable (perm ${config.perm})`);
    if (queueId !== undefined && queueId >= config.writeQueues) {
      throw new RbusError(ErrorCode.BAD_REQUEST, `queue ${queueId} does not exist: topic "${topic}" has ${config.writeQueues} write queues here`);
    }
    return config;
  }

  forRead(topic: string, queueId: number): TopicConfig {
    const config = this.table.get(topic);
    if (!config) throw this.notExist(topic);
    if (!canRead(config.perm)) throw new RbusError(ErrorCode.NO_PERMISSION, `topic "${topic}" is not readable (perm ${config.perm})`);
    if (queueId >= config.readQueues) {
      throw new RbusError(ErrorCode.BAD_REQUEST, `queue ${queueId} does not exist: topic "${topic}" has ${config.readQueues} read queues here`);
    }
    return config;
  }

  /** TOPIC_NOT_EXIST, naming the closest topic this broker has (details.nearest). */
  private notExist(topic: string): RbusError {
    const nearest = nearestName(topic, this.names());
    const hint = didYouMean(nearest);
    return new RbusError(
      ErrorCode.TOPIC_NOT_EXIST,
      `topic "${topic}" does not exist on this broker${hint}; create it with: rbus topic create --topic ${topic}`,
      { topic, ...(nearest === undefined ? {} : { nearest }) },
    );
  }

  private *names(): Iterable<string> {
    for (const t of this.table.all()) if (t.topic !== AUTO_CREATE_TOPIC) yield t.topic;
  }
}

function defaultConfig(topic: string): TopicConfig {
  return { topic, readQueues: DEFAULT_QUEUES, writeQueues: DEFAULT_QUEUES, perm: "rw" };
}
