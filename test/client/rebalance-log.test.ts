// Consumers say what they hold: one info line per rebalance with the queues
// taken and given up, when a member joins, leaves, or dies without a word
// (its connection gone, as after kill -9); and the default client id names
// the member in those lines, in the brokers' member lists and on
// rbus.inspect.<client id>.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { PushConsumer, type PushConsumerOptions } from "../../src/client/push-consumer.js";
import { createLogger } from "../../src/runtime/log.js";
import { subjects, type ConsumerMembers } from "../../src/protocol/index.js";
import { waitUntil } from "../harness/wait.js";
import { startConsumerCluster, type ConsumerCluster } from "./consumer-cluster.js";

interface Line {
  level: string;
  msg: string;
  consumer: string;
  took?: string[];
  gaveUp?: string[];
  holds?: number;
  members?: number;
}

interface Ctx {
  cluster: ConsumerCluster;
  consumers: PushConsumer[];
  connections: NatsConnection[];
}

const test = suite<Ctx>("rebalance log and client ids");

test.before(async (ctx) => {
  ctx.cluster = await startConsumerCluster();
  ctx.consumers = [];
  ctx.connections = [];
});
test.after(async (ctx) => {
  await Promise.all(ctx.consumers.map((c) => c.close().catch(() => undefined)));
  await Promise.all(ctx.connections.map((nc) => nc.close().catch(() => undefined)));
  await ctx.cluster.stop();
});

const fast: Omit<PushConsumerOptions, "group"> = { pollWaitMs: 1000, heartbeatMs: 200, rebalanceMs: 1000, commitIntervalMs: 200, retryMs: 50, handoverMs: 0, inspectRefreshMs: 200 };

/** A consumer on its own connection (so it can die alone), logging info lines into `lines`. */
async function member(ctx: Ctx, topic: string, group: string, lines: Line[]): Promise<{ consumer: PushConsumer; nc: NatsConnection }> {
  const nc = await connect({ servers: ctx.cluster.server.url });
  ctx.connections.push(nc);
  const log = createLogger({}, "info", (l) => lines.push(JSON.parse(l) as Line));
  const consumer = new PushConsumer(nc, { group, ...fast, log }).subscribe(topic).onMessage(() => {});
  ctx.consumers.push(consumer);
  await consumer.start();
  return { consumer, nc };
}

const rebalances = (lines: Line[]) => lines.filter((l) => l.msg.startsWith("rebalanced"));
const queueLines = (lines: Line[]) => lines.filter((l) => /^queues (acquired|released)/.test(l.msg));

test("join, leave and a silent death each give one line per member saying what it took and gave up", async (ctx) => {
  const topic = "held";
  const queues = await ctx.cluster.createTopic(topic); // 2 groups × 4
  const a: Line[] = [];
  const b: Line[] = [];
  const first = await member(ctx, topic, "g-held", a);
  await waitUntil("the first member holds every queue", () => first.consumer.assignment().length === queues.length);
  assert.equal(rebalances(a).map((l) => [l.took!.length, l.gaveUp!.length, l.holds, l.members]), [[8, 0, 8, 1]]);
  assert.match(rebalances(a)[0]!.msg, /^rebalanced: took 8, gave up 0, holds 8$/);
  assert.match(rebalances(a)[0]!.took![0]!, /^held@broker-[ab]#\d$/);
  assert.is(rebalances(a)[0]!.level, "info");

  const second = await member(ctx, topic, "g-held", b);
  await waitUntil("four queues each", () => first.consumer.assignment().length === 4 && second.consumer.assignment().length === 4);
  await waitUntil("both said so", () => rebalances(a).length === 2 && rebalances(b).length === 1);
  assert.equal([rebalances(a)[1]!.took, rebalances(a)[1]!.gaveUp!.length, rebalances(a)[1]!.holds], [[], 4, 4]);
  assert.equal([rebalances(b)[0]!.took!.length, rebalances(b)[0]!.gaveUp, rebalances(b)[0]!.members], [4, [], 2]);
  assert.equal([...rebalances(b)[0]!.took!].sort(), [...rebalances(a)[1]!.gaveUp!].sort(), "what one gave up, the other took");

  // The second member's process dies: no unregister, the brokers expire it after three missed heartbeats.
  await second.nc.close();
  await waitUntil("the survivor holds every queue again", () => first.consumer.assignment().length === queues.length, { timeoutMs: 10_000 });
  await waitUntil("and said so", () => rebalances(a).length === 3);
  assert.equal([[...rebalances(a)[2]!.took!].sort(), rebalances(a)[2]!.gaveUp, rebalances(a)[2]!.holds, rebalances(a)[2]!.members], [[...rebalances(b)[0]!.took!].sort(), [], 8, 1]);
  assert.equal(queueLines(a), [], "no other info line per queue change");

  await first.consumer.close();
  const left = a.filter((l) => l.msg.startsWith("left the group"));
  assert.equal(left.map((l) => [l.msg, l.gaveUp!.length]), [["left the group: gave up 8", 8]]);
});

test("the default client id names the member in its log lines, the brokers' member list and rbus.inspect", async (ctx) => {
  const topic = "named";
  await ctx.cluster.createTopic(topic);
  const joined: string[][] = [];
  const events = ctx.cluster.nc.subscribe(subjects().events.consumers("g-named"), { callback: (_err, m) => void joined.push((m.json() as ConsumerMembers).members) });
  const inspected = new Set<string>();
  const inspect = ctx.cluster.nc.subscribe(subjects().inspectAll, { callback: (_err, m) => void inspected.add((m.json() as { node: string }).node) });
  const lines: Line[] = [];
  const { consumer } = await member(ctx, topic, "g-named", lines);
  const id = consumer.clientId;
  assert.match(id, new RegExp(`^[A-Za-z0-9_-]+-${process.pid}-[0-9a-f]{4}$`));
  assert.ok(lines.length > 0 && lines.every((l) => l.consumer === id), JSON.stringify(lines));
  await waitUntil("a broker's member list names it", () => joined.some((m) => m.includes(id)));
  await waitUntil(`rbus.inspect.${id}`, () => inspected.has(id));
  events.unsubscribe();
  inspect.unsubscribe();
  await consumer.close();
});

test.run();
