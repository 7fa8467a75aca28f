// The producer across a failover of a replicated broker group, with the
// group's replicas played by the test (fake-replica.ts) on a real
// nats-server and an in-process NameServer: a replica that is no longer
// master names the new one, and a group whose master died is retried until
// the new master takes over.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNameServer, type NameServerHandle } from "../../actors/nameserver.js";
import { Producer, selectByKey, type ProducerOptions } from "../../src/client/producer.js";
import { decodeJson, decodeMsgId, ErrorCode, RbusError, subjects, type RouteData, type SendResult } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { fourQueues } from "../harness/registration.js";
import { waitUntil } from "../harness/wait.js";
import { FakeReplica } from "./fake-replica.js";

const subj = subjects();
const GROUP = "broker-r";
const TOPIC = "orders";

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  ns: NameServerHandle;
  replicas: FakeReplica[];
  producers: Producer[];
  routeAsks: () => number;
}
const test = suite<Ctx>("producer across a failover");

test.before.each(async (ctx) => {
  ctx.server = await startNatsServer({ jetstream: false });
  ctx.nc = await connect({ servers: ctx.server.url });
  ctx.ns = await startNameServer({ nc: ctx.nc, id: "ns-1" });
  ctx.replicas = [0, 1, 2].map((i) => new FakeReplica(ctx.nc, GROUP, i, fourQueues(TOPIC)));
  ctx.producers = [];
  let asks = 0;
  ctx.nc.subscribe(subj.ns.route, { callback: (_, m) => void ((decodeJson(m.data) as { topic: string }).topic === TOPIC && asks++) });
  ctx.routeAsks = () => asks;
});
test.after.each(async (ctx) => {
  for (const p of ctx.producers) await p.close();
  await ctx.ns.stop();
  await ctx.nc.close();
  await ctx.server.stop();
});

async function producer(ctx: Ctx, opts: ProducerOptions = {}): Promise<Producer> {
  const p = await new Producer(ctx.nc, opts).start();
  ctx.producers.push(p);
  return p;
}

/** Registers `master` as master of `term`, the other replicas (of `who`) as its slaves, and waits for the route to say so. */
async function group(ctx: Ctx, term: number, master = 0, who = [0, 1, 2]): Promise<void> {
  for (const r of ctx.replicas) if (who.includes(r.replica)) await r.register(r.replica === master ? "master" : "slave", term);
  await waitUntil("the route names the master", async () => {
    const route = await requestJson<RouteData>(ctx.nc, subj.ns.route, { topic: TOPIC }).catch(() => undefined);
    return route?.groups[0]?.replicas.find((r) => r.role === "master")?.replica === master;
  });
}

const replicaOf = (r: SendResult) => decodeMsgId(r.msgId)!.group;

test("NOT_MASTER naming the master: retried there at once, with no route refresh, and kept for later sends", async (ctx) => {
  await group(ctx, 1);
  for (const r of ctx.replicas) await r.up();
  // Replica 1 won term 2; the NameServers have not heard yet, so the route still names replica 0.
  ctx.replicas[0]!.notMaster = { term: 2, master: 1 };
  const p = await producer(ctx);
  const asksBefore = ctx.routeAsks();
  const first = await p.send({ topic: TOPIC, body: "a" });
  assert.is(first.status, "SEND_OK");
  await ctx.nc.flush();
  assert.is(ctx.routeAsks() - asksBefore, 1, "the one route fetch of the first send, and no refresh after NOT_MASTER");
  assert.equal(ctx.replicas.map((r) => r.count("send")), [1, 1, 0]);
  assert.is(p.stats().faults[GROUP], undefined, "a group that named its master is not kept out");

  await p.send({ topic: TOPIC, body: "b" });
  const batched = await Promise.all(Array.from({ length: 200 }, (_, i) => p.sendAsync({ topic: TOPIC, body: `c${i}` })));
  assert.ok(batched.every((r) => replicaOf(r) === GROUP));
  assert.equal(ctx.replicas.map((r) => r.count("send")), [1, 2, 0], "the next send went straight to the new master");
  assert.is(ctx.replicas[0]!.count("send.batch"), 0, "so did every batch");
  assert.ok(ctx.replicas[1]!.count("send.batch") > 0);
  await ctx.nc.flush();
  assert.is(ctx.routeAsks() - asksBefore, 1);
});

test("a hint is dropped once the route reaches its term", async (ctx) => {
  await group(ctx, 1);
  for (const r of ctx.replicas) await r.up();
  ctx.replicas[0]!.notMaster = { term: 2, master: 1 };
  const p = await producer(ctx, { routeRefreshMs: 100 });
  await p.send({ topic: TOPIC, body: "a" });
  assert.equal(p.routes.masters.get(GROUP)?.term, 2);
  // Term 3: replica 2 is master, and the routes say so. Replica 1 still takes
  // sends here: if the hint outlived the route, they would land on it.
  await group(ctx, 3, 2);
  await waitUntil("a send lands on replica 2, by the refreshed route", async () => {
    await p.send({ topic: TOPIC, body: "x" });
    return ctx.replicas[2]!.count("send") > 0;
  });
  assert.is(p.routes.masters.get(GROUP), undefined);
  const onOne = ctx.replicas[1]!.count("send");
  await p.send({ topic: TOPIC, body: "y" });
  assert.is(ctx.replicas[1]!.count("send"), onOne);
});

test("a master gone for 1.5 s (no responders until the new master registers): send, sendAsync and a pinned send carry on", async (ctx) => {
  await group(ctx, 1);
  await ctx.replicas[1]!.up();
  await ctx.replicas[2]!.up();
  // Killed: replica 0 does not answer, and the route names it until the election ends.
  ctx.replicas[1]!.notMaster = { term: 2, master: -1 };
  ctx.replicas[2]!.notMaster = { term: 2, master: -1 };
  const p = await producer(ctx, { sendTimeoutMs: 500 });
  const started = Date.now();
  const failover = new Promise<void>((resolve) =>
    // the length of the outage: the scenario, not a wait for state
    setTimeout(() => {
      ctx.replicas[2]!.notMaster = undefined;
      ctx.replicas[1]!.notMaster = { term: 2, master: 2 };
      // The dead master's registration (master, term 1) stays; the higher term wins the route.
      void group(ctx, 2, 2, [1, 2]).then(resolve);
    }, 1500),
  );
  const sends = [p.send({ topic: TOPIC, body: "sync" }), ...Array.from({ length: 50 }, (_, i) => p.sendAsync({ topic: TOPIC, body: `a${i}` }))];
  const pinned = p.send({ topic: TOPIC, body: "pinned", queueId: 3 });
  const results = await Promise.all([...sends, pinned]);
  await failover;
  const took = Date.now() - started;
  assert.ok(results.every((r) => r.status === "SEND_OK"), "every send acknowledged");
  assert.ok(took >= 1500 && took < 5000, `sends waited out the failover (${took} ms)`);
  assert.is(ctx.replicas[2]!.count("send") + ctx.replicas[2]!.count("send.batch") > 0, true);
  assert.is(ctx.replicas[0]!.requests.length, 0, "nothing reached the dead master");
});

test("no group has a master in the route (every replica electing): sendAsync, pinned and ordered sends wait for one", async (ctx) => {
  for (const r of ctx.replicas) await r.register("candidate", 2);
  for (const r of ctx.replicas) await r.up();
  await waitUntil("the route names no master", async () => {
    const route = await requestJson<RouteData>(ctx.nc, subj.ns.route, { topic: TOPIC }).catch(() => undefined);
    return route !== undefined && route.groups[0]!.replicas.every((r) => r.role !== "master");
  });
  const p = await producer(ctx, { sendTimeoutMs: 500 });
  const failures: string[] = [];
  const watch = (s: Promise<SendResult>) => s.catch((err: unknown) => void failures.push(String(err)));
  const started = Date.now();
  const sends = [
    p.send({ topic: TOPIC, body: "sync" }),
    p.sendAsync({ topic: TOPIC, body: "first" }), // no route cached yet: the slow path
    ...Array.from({ length: 20 }, (_, i) => p.sendAsync({ topic: TOPIC, body: `a${i}` })), // the masterless route cached
    p.sendAsync({ topic: TOPIC, body: "pinned", queueId: 2 }),
    p.sendAsync({ topic: TOPIC, body: "ordered", keys: "k1" }, { selector: selectByKey }),
  ].map(watch);
  // the length of the election: the scenario, not a wait for state
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(failures, [], "nothing failed while no master was known");
  await group(ctx, 2, 1);
  const results = await Promise.all(sends);
  assert.equal(failures, []);
  assert.ok(results.every((r) => r?.status === "SEND_OK"), "every send acknowledged");
  assert.ok(Date.now() - started >= 1000, "they waited for the master");
  assert.is(results[results.length - 2]!.queueId, 2, "the pinned message kept its queue");
  assert.is(ctx.replicas[1]!.count("send") + ctx.replicas[1]!.count("send.batch") > 0, true);
});

test("no NameServer answers yet (NATS restarting): the first send of a topic asks again within the budget", async (ctx) => {
  await group(ctx, 1);
  for (const r of ctx.replicas) await r.up();
  await ctx.ns.stop();
  const p = await producer(ctx, { sendTimeoutMs: 500 });
  const failures: string[] = [];
  const sends = [p.send({ topic: TOPIC, body: "sync" }), p.sendAsync({ topic: TOPIC, body: "async" })].map((s) =>
    s.catch((err: unknown) => void failures.push(String(err))),
  );
  // the NameServers' absence: the scenario, not a wait for state
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(failures, [], "nothing failed while no NameServer answered");
  ctx.ns = await startNameServer({ nc: ctx.nc, id: "ns-2" });
  await group(ctx, 1);
  const results = await Promise.all(sends);
  assert.equal(failures, []);
  assert.ok(results.every((r) => r?.status === "SEND_OK"), "both acknowledged");
});

test("a group down for longer than the budget: the send fails with the last error and its attempts", async (ctx) => {
  await group(ctx, 1);
  const p = await producer(ctx, { retryBudgetMs: 600 });
  const started = Date.now();
  const err = await p.send({ topic: TOPIC, body: "x" }).catch((e: RbusError) => e);
  assert.instance(err, RbusError);
  assert.is((err as RbusError).code, ErrorCode.NO_RESPONDERS);
  assert.match((err as RbusError).message, /\d+ attempts: broker-r, broker-r/);
  const took = Date.now() - started;
  assert.ok(took >= 600 && took < 1500, `gave up at the end of the budget (${took} ms)`);
});

test.run();
