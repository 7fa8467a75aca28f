// A replica's counters for rbus.metrics.<g>-<r> (RocketMQ exporter's
// put/get figures, role changes, elections). The send and pull handlers
// add to plain number fields once per request (a Map lookup per request
// for the topic, an entry only for a new topic); everything else (commit
// log, lag per consumer group and queue) is read from the store when asked.
import type { BrokerMetrics, QueueLag, Volume } from "../src/protocol/metrics.js";
import type { MessageStore } from "../src/store/index.js";
import type { EndpointStats } from "./endpoint-stats.js";
import type { TimerStatus } from "./timer-api.js";
import { dlqTopic } from "../src/protocol/system-topics.js";
import type { Replication, ReplicationEvent } from "./replication.js";

/** Most lag rows one answer carries: groups × topics × queues can be large. */
export const LAG_LIMIT = 10_000;

export class BrokerCounters {
  putMessages = 0;
  putBytes = 0;
  pullMessages = 0;
  pullBytes = 0;
  roleChanges = 0;
  electionsStarted = 0;
  electionsWon = 0;
  truncations = 0;
  readonly topics = new Map<string, Volume>();

  /** A send or send.batch stored `messages` messages of `bytes` body bytes in `topic`. */
  put(topic: string, messages: number, bytes: number): void {
    this.putMessages += messages;
    this.putBytes += bytes;
    let t = this.topics.get(topic);
    if (t === undefined) this.topics.set(topic, (t = { messages: 0, bytes: 0 }));
    t.messages += messages;
    t.bytes += bytes;
  }

  /** A pull reply left carrying `messages` messages in `bytes` bytes. */
  pulled(messages: number, bytes: number): void {
    this.pullMessages += messages;
    this.pullBytes += bytes;
  }

  /** Fed by the replication events the broker already publishes on rbus.events.role. */
  onReplication(e: ReplicationEvent): void {
    if (e.type === "role") this.roleChanges++;
    else if (e.type === "truncated") this.truncations++;
    else if (e.outcome === "won") this.electionsWon++;
    else this.electionsStarted++;
  }
}

/**
 * Every committed offset against its queue's end, at most `limit` rows. A
 * group's dead-letter topic is in too before anything was resent from it
 * (its lag from the topic's first offset): the dead letters waiting are
 * what an operator watches, and nothing commits there until `rbus dlq resend`.
 */
export function consumerLag(store: MessageStore, limit = LAG_LIMIT): { lag: QueueLag[]; truncated: boolean } {
  const lag: QueueLag[] = [];
  const table = store.offsets.snapshot();
  for (const consumerGroup of Object.keys(table).sort()) {
    const byTopic = { ...table[consumerGroup]! };
    const dlq = dlqTopic(consumerGroup);
    const dlqConfig = byTopic[dlq] === undefined ? store.topics.get(dlq) : undefined;
    if (dlqConfig) {
      byTopic[dlq] = {};
      for (let q = 0; q < dlqConfig.readQueues; q++) byTopic[dlq]![q] = store.queueRange(dlq, q).min;
    }
    for (const topic of Object.keys(byTopic).sort()) {
      const byQueue = byTopic[topic]!;
      for (const q of Object.keys(byQueue).sort((a, b) => Number(a) - Number(b))) {
        if (lag.length >= limit) return { lag, truncated: true };
        const queue = Number(q);
        const committed = byQueue[q]!;
        const { max } = store.queueRange(topic, queue);
        lag.push({ consumerGroup, topic, queue, committed, maxOffset: max, lag: Math.max(0, max - committed) });
      }
    }
  }
  return { lag, truncated: false };
}

export interface BrokerMetricsSource {
  cluster: string;
  group: string;
  replica: number;
  startedAt: number;
  store: MessageStore;
  replication: Replication;
  counters: BrokerCounters;
  endpoints: readonly EndpointStats[];
  timers?: () => TimerStatus;
  transactions?: () => { pending: number; checking: number };
}

export function brokerMetrics(s: BrokerMetricsSource): BrokerMetrics {
  const { counters: c, store } = s;
  const stats = store.stats();
  const r = s.replication.status();
  const { lag, truncated } = consumerLag(store);
  const endpoints = s.endpoints.map((e) => e.stats());
  const requests = (...names: string[]) => s.endpoints.reduce((n, e) => (names.includes(e.name) ? n + e.requests : n), 0);
  return {
    kind: "broker",
    node: `${s.group}-${s.replica}`,
    cluster: s.cluster,
    group: s.group,
    replica: s.replica,
    role: r.role,
    term: r.term,
    at: Date.now(),
    startedAt: s.startedAt,
    put: { requests: requests("send", "send-half", "send-batch"), messages: c.putMessages, bytes: c.putBytes, topics: Object.fromEntries(c.topics) },
    pull: { requests: requests("pull"), messages: c.pullMessages, bytes: c.pullBytes },
    commitLog: {
      bytes: stats.commitLogBytes, minOffset: stats.minOffset, endOffset: stats.maxOffset,
      commitOffset: stats.commitOffset, flushedOffset: stats.flushedOffset, messages: stats.messages,
    },
    roleChanges: c.roleChanges,
    elections: { started: c.electionsStarted, won: c.electionsWon },
    truncations: c.truncations,
    lag,
    lagTruncated: truncated,
    endpoints,
    ...(s.timers ? { timers: timerMetrics(s.timers()) } : {}),
    ...(s.transactions ? { transactions: pick(s.transactions()) } : {}),
  };
}

function pick(t: { pending: number; checking: number }): NonNullable<BrokerMetrics["transactions"]> {
  return { pending: t.pending, checking: t.checking };
}

function timerMetrics(t: TimerStatus): NonNullable<BrokerMetrics["timers"]> {
  return { running: t.running, pending: t.pending, delivered: t.delivered, lateness: t.lateness };
}
