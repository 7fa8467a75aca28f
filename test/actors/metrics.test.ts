// rbus.metrics.<node> and the Prometheus exporter against a NameServer and
// a broker replica: counters rise by exactly what the test sends and
// pulls, lag per queue follows a partial consume, and /metrics is valid
// Prometheus text whose send counter moves with the sends.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { encodeBatch, encodeJson, decodeJson, Header, scopedApi, subjects } from "../../src/protocol/index.js";
import type { BrokerMetrics, NameServerMetrics } from "../../src/protocol/metrics.js";
import { serveMetrics, type MetricsServer } from "../../src/metrics/server.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { parsePrometheus, sample } from "./prometheus-text.js";

const subj = subjects();
const G = "broker-a";
const TOPIC = "metered";

const ask = async <T>(nc: NatsConnection, node: string): Promise<T> => decodeJson((await nc.request(subj.metrics(node), "{}", { timeout: 2000 })).data) as T;

async function send(nc: NatsConnection, body: string, queue: number): Promise<void> {
  const h = headers();
  h.set(Header.topic, TOPIC);
  h.set(Header.queue, String(queue));
  const r = decodeJson((await nc.request(subj.broker(G, 0, "send"), body, { headers: h, timeout: 3000 })).data) as { status?: string };
  assert.is(r.status, "SEND_OK");
}

async function sendBatch(nc: NatsConnection, bodies: string[], queue: number): Promise<void> {
  const h = headers();
  h.set(Header.topic, TOPIC);
  const data = encodeBatch(bodies.map((b) => ({ queueId: queue, bornTimestamp: 0, body: new TextEncoder().encode(b) })));
  const r = await nc.request(subj.broker(G, 0, "send.batch"), data, { headers: h, timeout: 3000 });
  assert.is(r.headers?.get(Header.status), "SEND_OK");
}

async function pull(nc: NatsConnection, queue: number, offset: number, max: number): Promise<{ messages: unknown[]; bytes: number }> {
  const m = await nc.request(subj.broker(G, 0, "pull"), encodeJson({ group: "billing", topic: TOPIC, queueId: queue, offset, max }), { timeout: 3000 });
  return { messages: (decodeJson(m.data) as { messages: unknown[] }).messages, bytes: m.data.byteLength };
}

const test = suite<{ c: TestCluster; http: MetricsServer }>("rbus.metrics and the Prometheus exporter");
test.before(async (ctx) => {
  ctx.c = await startTestCluster([G]);
  ctx.http = await serveMetrics(ctx.c.nc, { port: 0 });
  await ctx.c.nc.request(subj.broker(G, 0, "topic.upsert"), encodeJson({ topic: TOPIC, readQueues: 2, writeQueues: 2, perm: "rw" }), { timeout: 3000 });
});
test.after(async (ctx) => {
  await ctx.http.close();
  await ctx.c.stop();
});

test("the broker's put and pull counters rise by exactly what was sent and pulled", async ({ c }) => {
  const before = await ask<BrokerMetrics>(c.nc, `${G}-0`);
  assert.is(before.kind, "broker");
  assert.is(before.role, "master");
  await send(c.nc, "hello", 0);
  await send(c.nc, "world!", 0);
  await sendBatch(c.nc, ["a", "bb", "ccc"], 1);
  const got = await pull(c.nc, 0, 0, 32);
  assert.is(got.messages.length, 2);
  const after = await ask<BrokerMetrics>(c.nc, `${G}-0`);
  assert.is(after.put.messages - before.put.messages, 5);
  assert.is(after.put.bytes - before.put.bytes, 5 + 6 + 1 + 2 + 3);
  assert.is(after.put.requests - before.put.requests, 3);
  assert.equal(after.put.topics[TOPIC], { messages: 5 + (before.put.topics[TOPIC]?.messages ?? 0), bytes: 17 + (before.put.topics[TOPIC]?.bytes ?? 0) });
  assert.is(after.pull.requests - before.pull.requests, 1);
  assert.is(after.pull.messages - before.pull.messages, 2);
  assert.is(after.pull.bytes - before.pull.bytes, got.bytes);
  assert.ok(after.commitLog.endOffset > before.commitLog.endOffset);
  assert.ok(after.commitLog.bytes >= after.commitLog.endOffset - after.commitLog.minOffset);
  assert.is(after.commitLog.commitOffset, after.commitLog.endOffset);
  const sendEndpoint = after.endpoints.find((e) => e.name === "send")!;
  assert.is(sendEndpoint.num_requests - before.endpoints.find((e) => e.name === "send")!.num_requests, 2);
});

test("lag per queue after a partial consume: the queue's end less the committed offset", async ({ c }) => {
  const base = await ask<BrokerMetrics>(c.nc, `${G}-0`);
  const end = (q: number) => base.lag.find((l) => l.topic === TOPIC && l.queue === q)?.maxOffset;
  assert.is(end(0), undefined, "no commit yet: no lag row");
  // queue 0 holds 2 messages, queue 1 holds 3; commit 1 of queue 0 and 1 of queue 1
  const commit = (queueId: number, offset: number) =>
    c.nc.request(subj.broker(G, 0, scopedApi("offset.commit", "billing")), encodeJson({ group: "billing", topic: TOPIC, queueId, offset }), { timeout: 3000 });
  await commit(0, 1);
  await commit(1, 1);
  const m = await ask<BrokerMetrics>(c.nc, `${G}-0`);
  const rows = m.lag.filter((l) => l.consumerGroup === "billing" && l.topic === TOPIC).map((l) => [l.queue, l.committed, l.maxOffset, l.lag]);
  assert.equal(rows, [[0, 1, 2, 1], [1, 1, 3, 2]]);
});

test("the NameServer counts registrations and brokers per liveness", async ({ c }) => {
  const ns = await ask<NameServerMetrics>(c.nc, "ns-test");
  assert.is(ns.kind, "nameserver");
  assert.ok(ns.registrations >= 1);
  assert.equal(ns.brokers, { alive: 1, suspect: 0, dead: 0 });
  assert.ok(ns.livenessTransitions.some((t) => t.from === "unknown" && t.to === "alive"));
  assert.ok(ns.endpoints.find((e) => e.name === "register")!.num_requests >= ns.registrations);
});

test("/metrics is Prometheus text, and its send counter rises by what was sent", async ({ c, http }) => {
  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${http.port}/metrics`);
    assert.is(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  };
  const first = await scrape();
  const put = (p: typeof first) => sample(p, "rocketbus_broker_put_messages_total", { group: G, replica: "0", topic: TOPIC });
  await send(c.nc, "one", 0);
  await sendBatch(c.nc, ["two", "three"], 1);
  const second = await scrape();
  assert.is(put(second)! - put(first)!, 3);
  assert.is(sample(second, "rocketbus_node_up", { node: `${G}-0`, kind: "broker" }), 1);
  assert.is(sample(second, "rocketbus_node_up", { node: "ns-test", kind: "nameserver" }), 1);
  assert.is(sample(second, "rocketbus_nameserver_brokers", { nameserver: "ns-test", liveness: "alive" }), 1);
  assert.is(sample(second, "rocketbus_broker_role", { group: G, replica: "0", role: "master" }), 1);
  assert.is(sample(second, "rocketbus_consumer_lag_messages", { consumer_group: "billing", topic: TOPIC, group: G, queue: "1" }), 4);
  for (const name of ["rocketbus_broker_commitlog_bytes", "rocketbus_role_changes_total", "rocketbus_requests_total"]) {
    assert.ok(second.types.has(name), `TYPE of ${name}`);
  }
});

test.run();
