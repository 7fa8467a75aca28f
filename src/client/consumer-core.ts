// What the push and pull consumers share: options, the offset store, the
// process queues of the assigned queues, periodic commits, and (when
// subscribed) the group membership that decides the assignment.
import { hostname } from "node:os";
import type { NatsConnection } from "@nats-io/transport-node";
import type { StrategyName } from "../../machines/allocate.js";
import { MAX_HEARTBEAT_QUEUES, MAX_HEARTBEAT_SUBSCRIPTIONS, parseTagExpression, isRetryTopic, retryTopic, type ClientHeartbeat, type ConsumeMode } from "../protocol/index.js";
import { VERSION } from "../runtime/version.js";
import { silentLogger, type Logger } from "../runtime/log.js";
import { BrokerClient } from "./broker-client.js";
import { clientIdOf } from "./client-id.js";
import { GroupMembership } from "./consumer-group.js";
import { BrokerOffsetStore, LocalOffsetStore, type OffsetStore } from "./offset-store.js";
import { ProcessQueue, type CorruptRecord, type StartFrom } from "./process-queue.js";
import { ResetFollower } from "./reset-follower.js";
import { RetryTopicWatch } from "./retry-topic.js";
import { queueKey, RouteCache, type MessageQueue } from "./route-cache.js";

export type { CorruptRecord, StartFrom } from "./process-queue.js";
export type { ConsumedMessage } from "./broker-client.js";

export interface ConsumerOptions {
  /** The consumer group (RocketMQ's consumerGroup). */
  group: string;
  prefix?: string;
  mode?: ConsumeMode;
  /** Where a queue without a committed offset starts (default "last", as RocketMQ). */
  from?: StartFrom;
  /** Messages per pull (RocketMQ: 32). */
  pullBatch?: number;
  /** Pulling of a queue pauses at this many buffered messages (RocketMQ: 1000). */
  maxBufferedPerQueue?: number;
  /** Long-poll hold asked of the broker (RocketMQ: 15 s). */
  pollWaitMs?: number;
  /** Heartbeat to the brokers (membership). */
  heartbeatMs?: number;
  /** Periodic rebalance check (RocketMQ: 20 s). */
  rebalanceMs?: number;
  /** The rebalance state is said again on rbus.inspect this often, for readers that start late (10 s; 0: never). */
  inspectRefreshMs?: number;
  /** Offsets committed this often (RocketMQ: 5 s). */
  commitIntervalMs?: number;
  /** Wait after a failed request before retrying. */
  retryMs?: number;
  /** A queue handed over by a live member starts this much later, so its last owner can commit first. */
  handoverMs?: number;
  strategy?: StrategyName;
  /** Broadcasting: keep offsets in this JSON file (else in memory only). */
  offsetFile?: string;
  /** Names this member in logs, heartbeats and rbus.inspect (default `<host>-<pid>-<4 hex>`, see client-id.ts). */
  clientId?: string;
  log?: Logger;
}

/** The host name as heartbeats carry it: at most 128 printable characters. */
const HOST = hostname().replace(/[^\x20-\x7e]/g, "_").slice(0, 128) || "unknown";

interface Subscription {
  tags: string;
  tagSet: ReadonlySet<string> | undefined;
}

export abstract class ConsumerCore {
  readonly clientId: string;
  readonly group: string;
  readonly mode: ConsumeMode;
  protected readonly log: Logger;
  protected readonly routes: RouteCache;
  protected readonly brokers: BrokerClient;
  protected readonly offsets: OffsetStore;
  protected readonly queues = new Map<string, ProcessQueue>();
  protected readonly subscriptions = new Map<string, Subscription>();
  protected membership: GroupMembership | undefined;
  private resets: ResetFollower | undefined;
  private retry: RetryTopicWatch | undefined;
  /** Commit consumed offsets periodically, on release and on close (else only on commitAll()). */
  protected autoCommit = true;
  protected started = false;
  protected closed = false;
  private commitTimer: NodeJS.Timeout | undefined;
  private corruptListener: ((r: CorruptRecord) => void) | undefined;
  private corruptRecords = 0;
  private readonly handoverTimers = new Map<string, NodeJS.Timeout>();
  private readonly inspectRefreshMs: number | undefined;
  protected readonly o: Required<Omit<ConsumerOptions, "offsetFile" | "clientId" | "log" | "prefix" | "inspectRefreshMs">>;

  constructor(
    protected readonly nc: NatsConnection,
    opts: ConsumerOptions,
  ) {
    this.group = opts.group;
    this.mode = opts.mode ?? "clustering";
    this.clientId = clientIdOf(opts.clientId);
    this.log = (opts.log ?? silentLogger).child({ consumer: this.clientId, group: this.group });
    this.inspectRefreshMs = opts.inspectRefreshMs;
    this.o = {
      group: opts.group,
      mode: this.mode,
      from: opts.from ?? "last",
      pullBatch: opts.pullBatch ?? 32,
      maxBufferedPerQueue: opts.maxBufferedPerQueue ?? 1000,
      pollWaitMs: opts.pollWaitMs ?? 15_000,
      heartbeatMs: opts.heartbeatMs ?? 10_000,
      rebalanceMs: opts.rebalanceMs ?? 20_000,
      commitIntervalMs: opts.commitIntervalMs ?? 5_000,
      retryMs: opts.retryMs ?? 1_000,
      handoverMs: opts.handoverMs ?? 1_000,
      strategy: opts.strategy ?? "averagely",
    };
    this.routes = new RouteCache(nc, { prefix: opts.prefix });
    this.brokers = new BrokerClient(nc, this.routes, { prefix: opts.prefix });
    this.offsets =
      this.mode === "broadcasting"
        ? new LocalOffsetStore(opts.offsetFile)
        : new BrokerOffsetStore(
            this.brokers,
            this.group,
            (err, g) => this.log.warn("offset commit failed; retried at the next commit", { broker: g, error: String(err) }),
            (q) => void this.resets?.recheck(q),
            this.clientId,
          );
  }

  /**
   * Called for each damaged record a broker reports (CORRUPT_RECORD) in an
   * assigned queue; the consumer then reads on after it. The record is not
   * delivered: the application decides whether it matters.
   */
  onCorrupt(listener: (r: CorruptRecord) => void): this {
    this.corruptListener = listener;
    return this;
  }

  stats(): { queues: number; corruptRecords: number } {
    return { queues: this.queues.size, corruptRecords: this.corruptRecords };
  }

  /** The queues this consumer reads now. */
  assignment(): MessageQueue[] {
    return [...this.queues.values()].map((pq) => pq.queue);
  }

  /** Subscribes to a topic; its queues are shared with the group's other members. */
  protected addSubscription(topic: string, tags: string): void {
    if (this.closed) throw new Error("consumer is closed");
    const tagSet = parseTagExpression(tags);
    this.subscriptions.set(topic, { tags, tagSet: tagSet && new Set(tagSet) });
    if (this.started && this.membership) {
      this.membership.addTopic(topic).catch((err) => this.log.warn("subscription route not found yet", { topic, error: String(err) }));
    }
  }

  /** The group's retry topic is read too, once a route names it (retry-topic.ts). Call before startCore. */
  protected subscribeRetryTopic(): void {
    const topic = retryTopic(this.group);
    this.retry = new RetryTopicWatch({
      topic, routes: this.routes, retryMs: this.o.retryMs, periodMs: this.o.rebalanceMs, log: this.log,
      found: () => void this.membership?.addTopic(topic).catch((err) => this.log.debug("retry topic route not found", { topic, error: String(err) })),
    });
  }

  /** A message of broker group `group` was handed back: its retry queue is read once routed. */
  protected retryTopicUsed(group: string): void {
    this.retry?.used(group);
  }

  private memberTopics(): string[] {
    const topics = [...this.subscriptions.keys()];
    if (this.retry?.routed) topics.push(retryTopic(this.group));
    return topics;
  }

  /** Starts periodic commits and, with `group`, the membership that assigns queues. */
  protected startCore(group: boolean): void {
    if (this.started) return;
    this.started = true;
    // offsets the brokers keep can be reset under the member: it follows at once
    if (this.offsets instanceof BrokerOffsetStore) {
      this.resets = new ResetFollower({
        nc: this.nc, subject: this.brokers.subj.events.reset(this.group), consumerGroup: this.group, brokers: this.brokers,
        offsets: this.offsets, log: this.log, held: (key) => this.queues.get(key),
      });
    }
    // A connection closed for good (by its owner, or never coming back) ends the consumer.
    void this.nc.closed().then(() => this.abandon());
    if (this.autoCommit) {
      this.commitTimer = setInterval(() => void this.commitAll(), this.o.commitIntervalMs);
      this.commitTimer.unref();
    }
    if (!group) return;
    this.membership = new GroupMembership({
      nc: this.nc,
      brokers: this.brokers,
      routes: this.routes,
      consumerGroup: this.group,
      clientId: this.clientId,
      mode: this.mode,
      strategy: this.o.strategy,
      topics: () => this.memberTopics(),
      describe: (brokerGroup) => this.describe(brokerGroup),
      retryTopicMade: (brokerGroup) => this.retryTopicUsed(brokerGroup),
      heartbeatMs: this.o.heartbeatMs,
      refreshMs: this.o.rebalanceMs,
      retryMs: this.o.retryMs,
      inspectRefreshMs: this.inspectRefreshMs,
      log: this.log,
      acquire: (queues, handover) => this.acquire(queues, handover),
      release: (queues) => this.release(queues),
    });
    this.membership.start();
    this.retry?.start();
  }

  /**
   * What a heartbeat to one broker group says of this member besides its
   * topics (consumer.connection, consumer.progress): host, version, each
   * subscription's tag expression, and the queues of that group it reads.
   */
  private describe(brokerGroup: string): Partial<ClientHeartbeat> {
    const queues: Array<{ topic: string; queueId: number }> = [];
    for (const pq of this.queues.values()) {
      if (pq.queue.group === brokerGroup && queues.length < MAX_HEARTBEAT_QUEUES) queues.push({ topic: pq.queue.topic, queueId: pq.queue.queueId });
    }
    const subscriptions = [...this.subscriptions].slice(0, MAX_HEARTBEAT_SUBSCRIPTIONS).map(([topic, s]) => ({ topic, tags: s.tags }));
    return { host: HOST, version: VERSION, subscriptions, queues };
  }

  /** Waits for the first balanced assignment (subscribe mode). */
  async ready(timeoutMs = 10_000): Promise<void> {
    await this.membership?.balanced(timeoutMs);
  }

  protected acquire(queues: readonly MessageQueue[], handover: readonly MessageQueue[] = []): void {
    const later = new Set(handover.map(queueKey));
    for (const q of queues) {
      const key = queueKey(q);
      if (this.queues.has(key) || this.handoverTimers.has(key)) continue;
      if (!later.has(key) || this.o.handoverMs <= 0) {
        this.openQueue(q);
        continue;
      }
      const timer = setTimeout(() => {
        this.handoverTimers.delete(key);
        this.openQueue(q);
      }, this.o.handoverMs);
      this.handoverTimers.set(key, timer);
    }
    // in a group, the rebalance says it in one line (consumer-group.ts)
    this.log[this.membership ? "debug" : "info"]("queues acquired", { queues: queues.map(queueKey), handover: handover.map(queueKey) });
  }

  private openQueue(q: MessageQueue): void {
    if (this.closed) return;
    const sub = this.subscriptions.get(q.topic) ?? { tags: "*", tagSet: undefined };
    const pq = new ProcessQueue(q, {
      brokers: this.brokers,
      offsets: this.offsets,
      consumerGroup: this.group,
      tags: sub.tags,
      tagSet: sub.tagSet,
      // RocketMQ reads a retry queue without a committed offset from its start: every message there is owed
      from: isRetryTopic(q.topic) ? "first" : this.o.from,
      pullBatch: this.o.pullBatch,
      waitMs: this.o.pollWaitMs,
      maxBuffered: this.o.maxBufferedPerQueue,
      retryMs: this.o.retryMs,
      log: this.log,
      onArrive: (p) => this.arrived(p),
      onCorrupt: (r) => {
        this.corruptRecords++;
        this.corruptListener?.(r);
      },
    });
    this.queues.set(pq.key, pq);
    this.opened(pq);
  }

  /** A queue was opened: the subclass starts delivering from it. */
  protected abstract opened(pq: ProcessQueue): void;
  /** Messages arrived in a queue's buffer. */
  protected abstract arrived(pq: ProcessQueue): void;
  /** Resolves when nothing of `pq` is in the listener any more (after drop). */
  protected abstract quiesce(pq: ProcessQueue): Promise<void>;

  /** Stops reading the queues, waits for the listener, commits their offsets. */
  protected async release(queues: readonly MessageQueue[]): Promise<void> {
    const gone: ProcessQueue[] = [];
    for (const q of queues) {
      const key = queueKey(q);
      const timer = this.handoverTimers.get(key);
      if (timer) {
        clearTimeout(timer);
        this.handoverTimers.delete(key);
      }
      const pq = this.queues.get(key);
      if (!pq) continue;
      pq.drop();
      gone.push(pq);
    }
    await Promise.all(gone.map((pq) => this.quiesce(pq)));
    for (const pq of gone) {
      if (this.autoCommit) pq.storeOffset();
      if (this.queues.get(pq.key) === pq) this.queues.delete(pq.key);
    }
    await this.offsets.flush(gone.map((pq) => pq.queue));
    if (gone.length > 0) await this.released(gone);
    if (gone.length > 0) this.log[this.membership ? "debug" : "info"]("queues released", { queues: gone.map((pq) => pq.key) });
  }

  /** Released queues' offsets were committed (as far as the brokers answered): the subclass may unlock them. */
  protected async released(_: readonly ProcessQueue[]): Promise<void> {}

  /** Commits the offset of every assigned queue that moved. */
  async commitAll(): Promise<void> {
    for (const pq of this.queues.values()) pq.storeOffset();
    await this.offsets.flush();
  }

  /** Stops everything at once, committing nothing: the connection is gone. */
  private abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.warn("NATS connection closed; consumer stopped without committing", {});
    this.membership?.actor.stop();
    this.resets?.close();
    this.retry?.close();
    for (const pq of this.queues.values()) pq.drop();
    for (const t of this.handoverTimers.values()) clearTimeout(t);
    this.handoverTimers.clear();
    if (this.commitTimer) clearInterval(this.commitTimer);
    this.abandoned();
  }

  /** The subclass wakes whatever waits on the queues (they are dropped). */
  protected abstract abandoned(): void;

  protected async closeCore(): Promise<void> {
    if (this.closed) return;
    this.resets?.close();
    this.retry?.close();
    if (this.membership) await this.membership.stop();
    else await this.release(this.assignment());
    this.closed = true;
    for (const t of this.handoverTimers.values()) clearTimeout(t);
    this.handoverTimers.clear();
    if (this.commitTimer) clearInterval(this.commitTimer);
    await this.release(this.assignment());
    if (this.autoCommit) await this.offsets.flush();
  }
}
