// The dashboard user reads everything a dashboard shows: the events
// stream's history (an ordered JetStream consumer), live events, the
// cluster table, status, topics and offsets; and changes nothing: sending,
// failover, topic changes and stream edits are permissions violations.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../../src/client/admin.js";
import { ensureEventsStream } from "../../src/cluster/events-stream.js";
import { subjects } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { refusedByNats, startSecureCluster, violations, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();

const test = suite<{ cluster: SecureCluster; dashboard: NatsConnection }>("secured: the dashboard reads, and only reads");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster();
  const admin = await ctx.cluster.connect("admin");
  await ensureEventsStream(admin);
  await requestJson(admin, subj.broker("broker-a", 0, "topic.upsert"), { topic: "orders", readQueues: 1, writeQueues: 1, perm: "rw" });
  ctx.dashboard = await ctx.cluster.connect("dashboard");
});

test.after(async (ctx) => {
  await ctx.cluster.stop();
});

test("reads the events stream's history with an ordered consumer", async (ctx) => {
  const seen = violations(ctx.dashboard);
  const billing = await ctx.cluster.connect("consumer-billing");
  const member = { clientId: "history-test", group: "billing", mode: "clustering", topics: ["orders"] };
  await requestJson(billing, subj.broker("broker-a", 0, "client.heartbeat.billing"), member);
  const consumer = await jetstream(ctx.dashboard).consumers.get(subj.eventsStream);
  const m = await consumer.next({ expires: 2000 });
  assert.is(m?.subject, subj.events.consumers("billing"), seen.join("; "));
  const info = await (await jetstreamManager(ctx.dashboard)).streams.info(subj.eventsStream);
  assert.ok(info.state.messages > 0);
  assert.equal(seen, []);
});

test("reads the cluster table, status, topics and offsets", async (ctx) => {
  const { brokers } = await new Admin(ctx.dashboard).cluster();
  assert.is(brokers.length, 2);
  const status = await requestJson<{ group: string }>(ctx.dashboard, subj.broker("broker-a", 0, "status"), {});
  assert.is(status.group, "broker-a");
  await requestJson(ctx.dashboard, subj.broker("broker-a", 0, "topic.list"), {});
  await requestJson(ctx.dashboard, subj.broker("broker-a", 0, "offset.query"), { group: "billing", topic: "orders" });
});

test("hears live events and the nodes' inspect streams", async (ctx) => {
  const got: string[] = [];
  for (const s of [subj.events.all, subj.inspectAll]) ctx.dashboard.subscribe(s, { callback: (err, m) => void (err ?? got.push(m.subject)) });
  await ctx.dashboard.flush();
  const billing = await ctx.cluster.connect("consumer-billing");
  const member = { clientId: "dash-test", group: "billing", mode: "clustering", topics: ["orders"] };
  await requestJson(billing, subj.broker("broker-a", 0, "client.heartbeat.billing"), member);
  await waitUntil("billing's membership event", () => got.includes(subj.events.consumers("billing")));
  await waitUntil("a node's inspect event", () => got.some((s) => s.startsWith("rbus.inspect.")));
});

test("changes nothing: send, failover, topic.upsert, offset commits and stream edits are refused", async (ctx) => {
  const d = ctx.dashboard;
  assert.ok(await refusedByNats(requestJson(d, subj.broker("broker-a", 0, "send"), {})), "send");
  assert.ok(await refusedByNats(requestJson(d, subj.broker("broker-a", 0, "failover"), {})), "failover");
  assert.ok(await refusedByNats(requestJson(d, subj.broker("broker-a", 0, "topic.upsert"), { topic: "x", readQueues: 1, writeQueues: 1, perm: "rw" })), "topic.upsert");
  assert.ok(await refusedByNats(requestJson(d, subj.broker("broker-a", 0, "offset.commit.billing"), { group: "billing", entries: [] })), "offset.commit");
  assert.ok(await refusedByNats(requestJson(d, `$JS.API.STREAM.DELETE.${subj.eventsStream}`, {})), "stream delete");
  assert.ok(await refusedByNats(requestJson(d, `$JS.API.STREAM.PURGE.${subj.eventsStream}`, {})), "stream purge");
});

test.run();
