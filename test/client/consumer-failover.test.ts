// Consumers and replicated broker groups, with the replicas played by the
// test (fake-replica.ts): a queue is read from the slave a pull reply names
// and back from the master when told or when the slave fails; offsets go
// where the queue is read; heartbeats and pulls follow a new master.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNameServer, type NameServerHandle } from "../../actors/nameserver.js";
import { PullConsumer } from "../../src/client/pull-consumer.js";
import type { MessageQueue } from "../../src/client/route-cache.js";
import { subjects, type PullRequest, type RouteData } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { fourQueues } from "../harness/registration.js";
import { waitUntil } from "../harness/wait.js";
import { FakeReplica, type FakePull } from "./fake-replica.js";

const subj = subjects();
const GROUP = "broker-r";
const TOPIC = "orders";
const QUEUE: MessageQueue = { topic: TOPIC, group: GROUP, queueId: 0 };

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  ns: NameServerHandle;
  master: FakeReplica;
  slave: FakeReplica;
  consumers: PullConsumer[];
}
const test = suite<Ctx>("consumers and replicated groups");

test.before.each(async (ctx) => {
  ctx.server = await startNatsServer({ jetstream: false });
  ctx.nc = await connect({ servers: ctx.server.url });
  ctx.ns = await startNameServer({ nc: ctx.nc, id: "ns-1" });
  ctx.master = new FakeReplica(ctx.nc, GROUP, 0, fourQueues(TOPIC));
  ctx.slave = new FakeReplica(ctx.nc, GROUP, 1, fourQueues(TOPIC));
  await ctx.master.register("master", 1);
  await ctx.slave.register("slave", 1);
  await ctx.master.up();
  await ctx.slave.up();
  await waitUntil("the route", () => requestJson<RouteData>(ctx.nc, subj.ns.route, { topic: TOPIC }).then((r) => r.groups[0]?.replicas.length === 2));
  ctx.consumers = [];
});
test.after.each(async (ctx) => {
  for (const c of ctx.consumers) await c.close();
  await ctx.ns.stop();
  await ctx.nc.close();
  await ctx.server.stop();
});

/** Bodies "<offset>" for [from, to). */
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => String(from + i));
/** Pulls seen, as "replica@offset". */
const pulls = (...rs: FakeReplica[]) => (): string[] =>
  rs.flatMap((r) => r.requests.filter((q) => q.api === "pull").map((q) => ({ r: r.replica, o: (q.body as PullRequest).offset }))).map((p) => `${p.r}@${p.o}`);
const commits = (r: FakeReplica) => r.requests.filter((q) => q.api === "offset.commit").map((q) => JSON.stringify((q.body as { entries: unknown[] }).entries));

async function assigned(ctx: Ctx, opts: { retryMs?: number; pollWaitMs?: number } = {}): Promise<PullConsumer> {
  const c = new PullConsumer(ctx.nc, { group: "g", from: "first", autoCommit: false, pollWaitMs: opts.pollWaitMs ?? 0, retryMs: opts.retryMs ?? 50 });
  ctx.consumers.push(c);
  await c.assign([QUEUE]);
  await c.start();
  return c;
}

async function pollUntil(c: PullConsumer, n: number): Promise<string[]> {
  const got: string[] = [];
  await waitUntil(`${n} messages`, async () => {
    for (const m of await c.poll(100)) got.push(m.body.toString());
    return got.length >= n;
  });
  return got;
}

test("far behind: read from the slave the master names, commit there, and back to the master when the slave says so", async (ctx) => {
  let sendBack = false;
  ctx.master.pull = (req): FakePull => {
    if (req.offset < 10) return { bodies: range(req.offset, Math.min(req.offset + 5, 10)), readFrom: ctx.slave.address };
    return { bodies: range(req.offset, Math.min(req.offset + 5, 30)) };
  };
  ctx.slave.pull = (req): FakePull => {
    if (req.offset < 20) return { bodies: range(req.offset, Math.min(req.offset + 5, 20)) };
    return sendBack ? { readFrom: ctx.master.address } : {};
  };
  const c = await assigned(ctx);
  const first = await pollUntil(c, 20);
  assert.equal(first, range(0, 20));
  assert.equal(pulls(ctx.master)(), ["0@0"], "one pull from the master, then the slave");
  assert.equal(pulls(ctx.slave)().slice(0, 3), ["1@5", "1@10", "1@15"]);

  await c.commit();
  assert.equal(commits(ctx.slave), [JSON.stringify([{ topic: TOPIC, queueId: 0, offset: 20 }])], "the commit went to the slave it reads from");
  assert.equal(commits(ctx.master), []);

  sendBack = true;
  const rest = await pollUntil(c, 10);
  assert.equal(rest, range(20, 30));
  assert.ok(pulls(ctx.master)().includes("0@20"), "back on the master from offset 20");
  await c.commit();
  assert.equal(commits(ctx.master), [JSON.stringify([{ topic: TOPIC, queueId: 0, offset: 30 }])]);
});

test("a slave that fails sends the queue back to the master at once", async (ctx) => {
  ctx.master.pull = (req): FakePull => ({ bodies: range(req.offset, Math.min(req.offset + 5, 20)), readFrom: req.offset === 0 ? ctx.slave.address : undefined });
  ctx.slave.pull = (req): FakePull => ({ bodies: range(req.offset, Math.min(req.offset + 5, 10)) });
  const c = await assigned(ctx, { retryMs: 30_000 });
  await pollUntil(c, 10);
  await ctx.slave.down();
  // A retryMs of 30 s: only a fallback within the failed pull itself gets the rest in time.
  const rest = await pollUntil(c, 10);
  assert.equal(rest, range(10, 20));
  assert.equal(pulls(ctx.slave)()[0], "1@5", "it was reading from the slave");
  assert.ok(pulls(ctx.master)().includes("0@10"));
});

test("a master that stops answering: the pull goes to the new master at once, by the refreshed route", async (ctx) => {
  ctx.master.pull = (req): FakePull => ({ bodies: range(req.offset, Math.min(req.offset + 5, 10)) });
  ctx.slave.pull = (req): FakePull => ({ bodies: range(req.offset, Math.min(req.offset + 5, 20)) });
  const c = await assigned(ctx, { retryMs: 30_000, pollWaitMs: 100 });
  await pollUntil(c, 10);
  // The election is over and registered; the consumer's cached route still names replica 0.
  await ctx.slave.register("master", 2);
  await ctx.master.down();
  const rest = await pollUntil(c, 10);
  assert.equal(rest, range(10, 20));
  assert.ok(pulls(ctx.slave)().length > 0);
});

test("heartbeats and commits follow the master a NOT_MASTER names", async (ctx) => {
  ctx.master.notMaster = { term: 2, master: 1 };
  const c = new PullConsumer(ctx.nc, { group: "g", from: "first", autoCommit: false, pollWaitMs: 0, retryMs: 50, heartbeatMs: 200 });
  ctx.consumers.push(c);
  c.subscribe(TOPIC);
  await c.start(5000);
  assert.is(c.assignment().length, 4, "balanced on the new master's answer");
  await waitUntil("a few heartbeats", () => ctx.slave.count("client.heartbeat") >= 3);
  assert.is(ctx.master.count("client.heartbeat"), 1, "refused once, then every heartbeat went to the master it named");
  await waitUntil("positions known", () => c.assignment().every((q) => c.position(q) !== undefined));
  await c.commit();
  assert.is(commits(ctx.slave).length, 1);
  assert.is(commits(ctx.master).length, 0);
});

test.run();
