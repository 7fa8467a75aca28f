// Dead letters are what an operator watches for: the metrics' lag rows
// carry a group's %DLQ% topic from its first message on, before anything
// commits there, and Prometheus exports them as consumer lag; the timer
// service's and the transaction check's state are gauges of their own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { consumerLag } from "../../actors/broker-metrics.js";
import { renderPrometheus } from "../../src/metrics/prometheus.js";
import { dlqTopic } from "../../src/protocol/index.js";
import type { BrokerMetrics } from "../../src/protocol/metrics.js";
import { MessageStore } from "../../src/store/index.js";
import { suite } from "../harness/suite.js";

const test = suite<{ dir: string; store: MessageStore }>("dead letters and timers in the metrics");
const DLQ = dlqTopic("billing");

test.before.each(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-dlq-lag-"));
  ctx.store = await MessageStore.open(ctx.dir);
  ctx.store.topics.put({ topic: "orders", readQueues: 1, writeQueues: 1, perm: "rw" });
  ctx.store.topics.put({ topic: DLQ, readQueues: 1, writeQueues: 1, perm: "rw" });
  const body = Buffer.from("x");
  await ctx.store.put([{ topic: "orders", queueId: 0, body }, ...Array.from({ length: 3 }, () => ({ topic: DLQ, queueId: 0, body }))]);
  ctx.store.offsets.commit("billing", "orders", 0, 1);
});
test.after.each(async (ctx) => {
  await ctx.store.close();
  rmSync(ctx.dir, { recursive: true, force: true });
});

const row = (store: MessageStore, topic: string) => consumerLag(store).lag.find((l) => l.consumerGroup === "billing" && l.topic === topic);

test("a group's dead letters are a lag row before anything was resent, from the topic's first offset", ({ store }) => {
  assert.equal(row(store, DLQ), { consumerGroup: "billing", topic: DLQ, queue: 0, committed: 0, maxOffset: 3, lag: 3 });
  assert.is(row(store, "orders")?.lag, 0);
});

test("once resent up to an offset, the committed offset counts, as for any topic", ({ store }) => {
  store.offsets.commit("billing", DLQ, 0, 2);
  assert.is(row(store, DLQ)?.lag, 1);
});

test("a group with no dead-letter topic has no such row", ({ store }) => {
  store.offsets.commit("shipping", "orders", 0, 0);
  assert.is(consumerLag(store).lag.some((l) => l.consumerGroup === "shipping" && l.topic === dlqTopic("shipping")), false);
});

test("Prometheus: dead letters as consumer lag, timers and halves as gauges", async ({ store }) => {
  const m = {
    kind: "broker", node: "broker-a-0", cluster: "c", group: "broker-a", replica: 0, role: "master", term: 1, at: 0, startedAt: 0,
    put: { requests: 0, messages: 0, bytes: 0, topics: {} }, pull: { requests: 0, messages: 0, bytes: 0 },
    commitLog: { bytes: 0, minOffset: 0, endOffset: 0, commitOffset: 0, flushedOffset: 0, messages: 0 },
    roleChanges: 0, elections: { started: 0, won: 0 }, truncations: 0, lag: consumerLag(store).lag, lagTruncated: false, endpoints: [],
    timers: { running: true, pending: 7, delivered: 40, lateness: { p50: 1, p99: 12, max: 30, count: 40 } },
    transactions: { pending: 5, checking: 2 },
  } satisfies BrokerMetrics;
  const text = await renderPrometheus([{ node: m.node, kind: "broker", metrics: m }]);
  assert.match(text, `rocketbus_consumer_lag_messages{consumer_group="billing",topic="${DLQ}",cluster="c",group="broker-a",queue="0"} 3`);
  assert.match(text, `rocketbus_timer_pending{cluster="c",group="broker-a",replica="0"} 7`);
  assert.match(text, `rocketbus_timer_delivered_total{cluster="c",group="broker-a",replica="0"} 40`);
  assert.match(text, `rocketbus_timer_lateness_ms{cluster="c",group="broker-a",replica="0",quantile="0.99"} 12`);
  assert.match(text, `rocketbus_transaction_half_pending{cluster="c",group="broker-a",replica="0"} 5`);
});

test.run();
