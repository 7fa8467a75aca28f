// The local NATS cluster the replication benchmark runs JetStream R3 on:
// its nodes route to each other (a subscriber on one node hears a publish
// on another), an R3 stream takes publishes, keeps taking them with one
// node stopped (2 of 3 is a majority), and the stopped node rejoins on
// its own ports when started again.
import { suite } from "./suite.js";
import * as assert from "uvu/assert";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { startNatsCluster, type NatsCluster } from "./nats-cluster.js";
import { waitUntil } from "./wait.js";

interface Ctx {
  cluster: NatsCluster;
  conns: NatsConnection[];
}

const test = suite<Ctx>("nats cluster");

test.before(async (ctx) => {
  ctx.cluster = await startNatsCluster({ size: 3 });
  ctx.conns = await Promise.all(ctx.cluster.nodes.map((n) => connect({ servers: n.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 })));
});

test.after(async (ctx) => {
  await Promise.all(ctx.conns.map((nc) => nc.close()));
  await ctx.cluster.stop();
});

test("every node has its own ports and store folder", (ctx) => {
  const { nodes } = ctx.cluster;
  assert.is(nodes.length, 3);
  assert.is(new Set([...nodes.map((n) => n.port), ...nodes.map((n) => n.routePort)]).size, 6);
  assert.is(new Set(nodes.map((n) => n.storeDir)).size, 3);
  assert.equal(ctx.cluster.urls, nodes.map((n) => n.url));
});

test("a publish on one node reaches a subscriber on each other node", async (ctx) => {
  const [a, b, c] = ctx.conns as [NatsConnection, NatsConnection, NatsConnection];
  const heard = { b: 0, c: 0 };
  b.subscribe("cluster.probe", { callback: () => void heard.b++ });
  c.subscribe("cluster.probe", { callback: () => void heard.c++ });
  await Promise.all([b.flush(), c.flush()]);
  // interest crosses routes asynchronously: publish until both have heard one
  await waitUntil("both remote subscribers hearing node 0", () => {
    a.publish("cluster.probe");
    return heard.b > 0 && heard.c > 0;
  }, { timeoutMs: 10_000, intervalMs: 50 });
});

test("an R3 stream keeps taking publishes with one node stopped, and the node rejoins", async (ctx) => {
  const nc = ctx.conns[0]!;
  const jsm = await waitUntil("the JetStream meta leader", async () => {
    const m = await jetstreamManager(nc, { timeout: 2000 });
    await m.getAccountInfo();
    return m;
  }, { timeoutMs: 30_000, intervalMs: 200 });
  await waitUntil("an R3 stream", () => jsm.streams.add({ name: "PROBE", subjects: ["probe.js"], storage: StorageType.File, num_replicas: 3 }).then(() => true),
    { timeoutMs: 30_000, intervalMs: 200 });
  const js = jetstream(nc, { timeout: 5000 });
  await waitUntil("the stream taking publishes", () => js.publish("probe.js", "first").then(() => true), { timeoutMs: 30_000, intervalMs: 200 });
  const info = await jsm.streams.info("PROBE");
  assert.is(info.config.num_replicas, 3);
  assert.is((info.cluster?.replicas?.length ?? 0) + 1, 3, "the stream's leader and two replicas");

  await ctx.cluster.kill(2);
  await waitUntil("a publish acknowledged by 2 of 3", () => js.publish("probe.js", "second").then(() => true), { timeoutMs: 20_000, intervalMs: 200 });
  await ctx.cluster.start(2);
  await waitUntil("node 2 current again in the stream", async () => {
    const i = await jsm.streams.info("PROBE");
    return i.state.messages >= 2 && (i.cluster?.replicas ?? []).every((r) => r.current) && (i.cluster?.replicas?.length ?? 0) === 2;
  }, { timeoutMs: 30_000, intervalMs: 200 });
});

test.run();
