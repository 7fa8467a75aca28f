import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNameServer, type NameServerHandle } from "../../actors/nameserver.js";
import { startBroker, type BrokerHandle } from "../../actors/broker.js";
import { decodeJson, subjects, type RegisterAck, type RouteData } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { fourQueues, registerFake, registration as registrationFor } from "../harness/registration.js";
import { waitUntil } from "../harness/wait.js";
import { collectLiveness } from "../harness/events.js";

const subj = subjects();
const fast = { scanIntervalMs: 50, suspectAfterMs: 600, deadAfterMs: 1200, forgetAfterMs: 60_000 };

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  nameServers: NameServerHandle[];
  brokers: BrokerHandle[];
}
const test = suite<Ctx>("nameserver actor");

test.before.each(async (ctx) => {
  ctx.server = await startNatsServer();
  ctx.nc = await connect({ servers: ctx.server.url });
  ctx.nameServers = [];
  ctx.brokers = [];
  for (const id of ["ns-1", "ns-2"]) ctx.nameServers.push(await startNameServer({ nc: ctx.nc, id, timings: fast }));
});

test.after.each(async (ctx) => {
  for (const b of ctx.brokers) await b.stop();
  for (const n of ctx.nameServers) await n.stop();
  await ctx.nc.close();
  await ctx.server.stop();
});

const registration = (group = "broker-a") => registrationFor(group, fourQueues("orders"));

/** Every reply to a raw payload, decoded. */
async function ask(nc: NatsConnection, subject: string, payload: string) {
  const replies = await nc.requestMany(subject, payload, { strategy: "stall", stall: 200, maxWait: 2000 });
  const out: unknown[] = [];
  for await (const m of replies) out.push(decodeJson(m.data));
  return out;
}

test("every NameServer acknowledges a registration; one answers a route query", async ({ nc }) => {
  const acks = await registerFake(nc, registration());
  assert.equal(acks.map((a) => (a as RegisterAck).nameServer).sort(), ["ns-1", "ns-2"]);
  const routes = await ask(nc, subj.ns.route, JSON.stringify({ topic: "orders" }));
  assert.is(routes.length, 1, "route queries go to one NameServer of the queue group");
  const route = routes[0] as RouteData;
  assert.equal(route.queues, [{ group: "broker-a", readQueues: 4, writeQueues: 4, perm: "rw" }]);
  assert.is(route.groups[0]?.replicas[0]?.address, "rbus.broker.broker-a.0");
});

test("an unknown topic gets TOPIC_NOT_EXIST", async ({ nc }) => {
  const [reply] = await ask(nc, subj.ns.route, JSON.stringify({ topic: "nope" }));
  assert.is((reply as { error: { code: string } }).error.code, "TOPIC_NOT_EXIST");
});

test("malformed requests on every NameServer subject get BAD_REQUEST, and serving goes on", async ({ nc }) => {
  const bad: Array<[string, string, number]> = [
    [subj.ns.register, "not json", 2],
    [subj.ns.register, "[1,2]", 2],
    [subj.ns.register, "{}", 2],
    [subj.ns.register, JSON.stringify({ ...registration(), replica: "zero" }), 2],
    [subj.ns.register, JSON.stringify({ ...registration(), group: "a.b" }), 2],
    [subj.ns.register, JSON.stringify({ ...registration(), topics: [{ topic: "t", readQueues: -1 }] }), 2],
    // an address is the replica's own subject prefix: never a sink elsewhere, a wildcard or spaces
    [subj.ns.register, JSON.stringify({ ...registration(), address: "evil.sink" }), 2],
    [subj.ns.register, JSON.stringify({ ...registration(), address: "x.>" }), 2],
    [subj.ns.register, JSON.stringify({ ...registration(), address: "a b >" }), 2],
    [subj.ns.register, JSON.stringify({ ...registration(), address: "rbus.broker.broker-b.0" }), 2],
    [subj.ns.unregister, "{", 2],
    [subj.ns.unregister, JSON.stringify({ group: "broker-a" }), 2],
    [subj.ns.route, "\u0000\u0001", 1],
    [subj.ns.route, JSON.stringify({ topic: 7 }), 1],
    [subj.ns.route, "{}", 1],
    [subj.ns.cluster, "nope", 1],
    [subj.ns.info, "\"a string\"", 2],
  ];
  for (const [subject, payload, expected] of bad) {
    const replies = await ask(nc, subject, payload);
    assert.is(replies.length, expected, `${subject} ${payload}: one reply per listener`);
    for (const r of replies) {
      const e = r as { error?: { code: string; message: string } };
      assert.is(e.error?.code, "BAD_REQUEST", `${subject} ${payload} → ${JSON.stringify(r)}`);
      assert.ok(e.error?.message.length, "the error says what is wrong");
    }
  }
  const acks = await registerFake(nc, registration());
  assert.is(acks.length, 2, "both NameServers still serve");
  const route = await requestJson<RouteData>(nc, subj.ns.route, { topic: "orders" });
  assert.is(route.topic, "orders");
});

test("a silent broker goes suspect, then dead, leaves the routes, and comes back", async ({ nc }) => {
  const log = collectLiveness(nc);
  await registerFake(nc, registration("broker-a"));
  await waitUntil("broker-a dead in both NameServers", () =>
    ["ns-1", "ns-2"].every((ns) => log.has(ns, "broker-a.0", "suspect->dead")),
  );
  for (const ns of ["ns-1", "ns-2"]) {
    assert.equal(log.lines((e) => e.nameServer === ns && e.group === "broker-a"), [
      `${ns} broker-a.0 unknown->alive`,
      `${ns} broker-a.0 alive->suspect`,
      `${ns} broker-a.0 suspect->dead`,
    ]);
  }
  const [reply] = await ask(nc, subj.ns.route, JSON.stringify({ topic: "orders" }));
  assert.is((reply as { error: { code: string } }).error.code, "TOPIC_NOT_EXIST", "no live broker serves the topic");
  await registerFake(nc, registration("broker-a"));
  await waitUntil("broker-a alive again", () => ["ns-1", "ns-2"].every((ns) => log.has(ns, "broker-a.0", "dead->alive")));
  const route = await requestJson<RouteData>(nc, subj.ns.route, { topic: "orders" });
  assert.equal(route.groups.map((g) => g.group), ["broker-a"]);
});

test("a broker actor registers with every NameServer and unregisters at once on stop", async (ctx) => {
  const log = collectLiveness(ctx.nc);
  const broker = await startBroker({ nc: ctx.nc, group: "broker-a", replica: 0, dataDir: "/unused", heartbeatIntervalMs: 100 });
  const s = await waitUntil("registered", () => {
    const snap = broker.registration.getSnapshot();
    return snap.matches("registered") || snap.matches("registering") ? snap.context.answered === 2 && snap : false;
  });
  assert.is(s.context.answered, 2, "the broker knows both NameServers answered");
  const route = await requestJson<RouteData>(ctx.nc, subj.ns.route, { topic: "TBW102" });
  assert.is(route.groups[0]?.replicas[0]?.role, "master");
  await broker.stop();
  await waitUntil("removed from both", () => ["ns-1", "ns-2"].every((ns) => log.has(ns, "broker-a.0", "alive->removed")));
  assert.not.ok(log.lines().some((l) => l.includes("suspect")), "a clean stop never looks like a failure");
  for (const ns of ctx.nameServers) assert.equal([...ns.actor.getSnapshot().context.brokers.keys()], []);
});

test("a broker registers again by itself when the NATS connection comes back", async (ctx) => {
  const nc = await connect({ servers: ctx.server.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
  // A heartbeat far longer than the test: only the reconnect can explain a new registration.
  const broker = await startBroker({ nc, group: "broker-a", replica: 0, dataDir: "/unused", heartbeatIntervalMs: 600_000 });
  ctx.brokers.push(broker);
  const ns = ctx.nameServers[0]!;
  const heartbeat = () => ns.actor.getSnapshot().context.brokers.get("broker-a.0")?.lastHeartbeatAt;
  const first = await waitUntil("first registration", heartbeat);
  try {
    await ctx.server.restart();
    await waitUntil("registration after reconnect", () => (heartbeat() ?? 0) > first, { timeoutMs: 15_000 });
  } finally {
    await broker.stop();
    ctx.brokers.pop();
    await nc.close();
  }
});

test("a NameServer that starts says hello, and a running broker registers with it at once", async (ctx) => {
  // A heartbeat far longer than the test: only the hello can explain the registration.
  const broker = await startBroker({ nc: ctx.nc, group: "broker-a", replica: 0, dataDir: "/unused", heartbeatIntervalMs: 600_000 });
  ctx.brokers.push(broker);
  await waitUntil("known to both", () => broker.registration.getSnapshot().context.known.length === 2);
  const late = await startNameServer({ nc: ctx.nc, id: "ns-3", timings: fast });
  ctx.nameServers.push(late);
  await waitUntil("ns-3 has the broker", () => late.actor.getSnapshot().context.brokers.get("broker-a.0"), { timeoutMs: 3000 });
  assert.equal(broker.registration.getSnapshot().context.known, ["ns-1", "ns-2", "ns-3"]);
});

test("garbage on rbus.ns.hello is dropped; the broker still hears the next hello", async (ctx) => {
  const broker = await startBroker({ nc: ctx.nc, group: "broker-a", replica: 0, dataDir: "/unused", heartbeatIntervalMs: 600_000 });
  ctx.brokers.push(broker);
  await waitUntil("registered", () => broker.registration.getSnapshot().matches("registered"));
  for (const junk of ["not json {", "[]", "{\"nameServer\":7}", "null"]) ctx.nc.publish(subj.ns.hello, junk);
  const ns = ctx.nameServers[0]!;
  const before = ns.actor.getSnapshot().context.brokers.get("broker-a.0")!.lastHeartbeatAt;
  ctx.nc.publish(subj.ns.hello, JSON.stringify({ nameServer: "ns-1", at: Date.now() }));
  await waitUntil("registered again after the hello", () => ns.actor.getSnapshot().context.brokers.get("broker-a.0")!.lastHeartbeatAt > before);
});

test.run();
