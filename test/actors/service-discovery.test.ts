// NATS service discovery, asked as `nats req '$SRV.PING' '' --replies 0`
// and `nats micro ls|info|stats` ask it: a plain NATS connection (core
// nats.js only) publishes with a reply inbox and collects every answer.
// The NameServer and the broker replica each answer as a micro service,
// with the protocol's type fields, their node names as ids, the subjects
// they really serve, and counters that move with the requests they serve.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import {
  Header,
  MicroType,
  ServiceName,
  ServiceVerb,
  srvSubjects,
  subjects,
  type MicroInfo,
  type MicroPing,
  type MicroStats,
} from "../../src/protocol/index.js";
import { EndpointStats } from "../../actors/endpoint-stats.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { askAll } from "../harness/discovery.js";

const subj = subjects();
const version = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

const ids = (answers: Array<{ id: string }>) => answers.map((a) => a.id);
const endpoint = <E extends { name: string }>(all: E[], name: string) => all.find((e) => e.name === name)!;

const test = suite<{ c: TestCluster; plain: NatsConnection }>("$SRV discovery of a NameServer and a broker replica");
test.before(async (ctx) => {
  ctx.c = await startTestCluster();
  ctx.plain = await connect({ servers: ctx.c.server.url });
});
test.after(async (ctx) => {
  await ctx.plain.close();
  await ctx.c.stop();
});

test("$SRV.PING: both nodes answer with ping_response, their service names, node ids and version", async ({ plain }) => {
  const pings = await askAll<MicroPing>(plain, srvSubjects.all(ServiceVerb.ping), 2);
  assert.equal(ids(pings), ["broker-a-0", "ns-test"]);
  for (const p of pings) {
    assert.is(p.type, MicroType.ping);
    assert.is(p.version, version);
  }
  assert.equal(pings.map((p) => p.name), [ServiceName.broker, ServiceName.nameserver]);
  assert.equal(pings[0]!.metadata, { node: "broker-a-0", cluster: "DefaultCluster", group: "broker-a", replica: "0", role: "master", term: pings[0]!.metadata.term!, prefix: "rbus" });
  assert.match(pings[0]!.metadata.term!, /^\d+$/);
  assert.equal(pings[1]!.metadata, { node: "ns-test", prefix: "rbus" });
});

test("a name, or a name and id, narrows who answers", async ({ plain }) => {
  assert.equal(ids(await askAll<MicroPing>(plain, srvSubjects.named(ServiceVerb.ping, ServiceName.broker), 2, 500)), ["broker-a-0"]);
  assert.equal(ids(await askAll<MicroPing>(plain, srvSubjects.instance(ServiceVerb.info, ServiceName.nameserver, "ns-test"), 2, 500)), ["ns-test"]);
  assert.equal(await askAll<MicroStats>(plain, srvSubjects.instance(ServiceVerb.stats, ServiceName.broker, "broker-a-9"), 1, 500).catch(() => []), []);
});

test("$SRV.INFO lists the subjects each node really serves", async ({ plain }) => {
  const [broker, ns] = await askAll<MicroInfo>(plain, srvSubjects.all(ServiceVerb.info), 2);
  assert.is(broker!.type, MicroType.info);
  assert.is(ns!.type, MicroType.info);
  assert.match(broker!.description, /broker-a\.0/);
  assert.is(endpoint(broker!.endpoints, "send").subject, subj.broker("broker-a", 0, "send"));
  assert.is(endpoint(broker!.endpoints, "send-batch").subject, subj.broker("broker-a", 0, "send.batch"));
  assert.is(endpoint(broker!.endpoints, "pull").subject, subj.broker("broker-a", 0, "pull"));
  assert.is(endpoint(broker!.endpoints, "offset-commit").subject, subj.brokerScoped("broker-a", 0, "offset.commit"));
  for (const e of broker!.endpoints) assert.match(e.name, /^[A-Za-z0-9_-]+$/, e.name);
  assert.is(endpoint(broker!.endpoints, "send").queue_group, undefined);
  assert.equal(endpoint(ns!.endpoints, "route"), { name: "route", subject: subj.ns.route, queue_group: subj.ns.queueGroup, metadata: {} });
  assert.equal(ns!.endpoints.map((e) => e.name), ["register", "unregister", "route", "cluster", "info"]);
  // what INFO lists answers: every endpoint has a subscriber
  for (const e of [...broker!.endpoints, ...ns!.endpoints]) {
    if (e.subject.includes("*")) continue;
    const r = await plain.request(e.subject, "{}", { timeout: 2000 });
    assert.ok(r.data.byteLength > 0, e.subject);
  }
});

test("$SRV.STATS: requests, errors and processing time rise with what each node serves", async ({ plain }) => {
  const statsNow = async () => {
    const [b, n] = await askAll<MicroStats>(plain, srvSubjects.all(ServiceVerb.stats), 2);
    return { send: endpoint(b!.endpoints, "send"), route: endpoint(n!.endpoints, "route"), broker: b!, ns: n! };
  };
  const before = await statsNow();
  assert.is(before.broker.type, MicroType.stats);
  assert.ok(!Number.isNaN(Date.parse(before.broker.started)) && before.broker.started.endsWith("Z"), before.broker.started);
  const h = headers();
  h.set(Header.topic, "orders");
  await plain.request(subj.broker("broker-a", 0, "send"), "one", { headers: h, timeout: 3000 });
  await plain.request(subj.broker("broker-a", 0, "send"), "no topic", { timeout: 3000 }); // refused: BAD_REQUEST
  await plain.request(subj.ns.route, JSON.stringify({ topic: "no-such-topic" }), { timeout: 3000 }); // TOPIC_NOT_EXIST
  const after = await statsNow();
  assert.is(after.send.num_requests - before.send.num_requests, 2);
  assert.is(after.send.num_errors - before.send.num_errors, 1);
  assert.ok(after.send.last_error.length > 0, "the refusal's message");
  assert.ok(after.send.processing_time > before.send.processing_time);
  assert.ok(after.send.average_processing_time > 0 && Number.isInteger(after.send.average_processing_time));
  assert.is(after.route.num_requests - before.route.num_requests, 1);
  assert.is(after.route.num_errors - before.route.num_errors, 1);
  assert.match(after.route.last_error, /no-such-topic/);
});

test.run();

const unit = suite("EndpointStats");

unit("counts, errors and nanoseconds as $SRV.STATS reports them", () => {
  const e = new EndpointStats("send", "rbus.broker.a.0.send");
  assert.equal(e.stats(), { name: "send", subject: "rbus.broker.a.0.send", num_requests: 0, num_errors: 0, last_error: "", processing_time: 0, average_processing_time: 0 });
  e.done(performance.now() - 2);
  e.failed(performance.now() - 1, new Error("refused"));
  const s = e.stats();
  assert.is(s.num_requests, 2);
  assert.is(s.num_errors, 1);
  assert.is(s.last_error, "refused");
  assert.ok(s.processing_time >= 3_000_000 && s.processing_time < 1e9, String(s.processing_time));
  assert.is(s.average_processing_time, Math.round(s.processing_time / 2));
});

unit.run();
