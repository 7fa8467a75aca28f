// Mistakes against a running cluster end in an error, a non-zero exit and the
// nearest existing name, instead of a table of dashes or a wait forever.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { PullConsumer } from "../../src/client/pull-consumer.js";
import { subjects } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { runRbus, spawnRbus } from "../harness/processes.js";
import { startNatsServer } from "../harness/nats-server.js";
import { waitUntil } from "../harness/wait.js";
import { startConsumerCluster, type ConsumerCluster } from "../client/consumer-cluster.js";

interface Ctx {
  cluster: ConsumerCluster;
  consumer: PullConsumer;
}
const test = suite<Ctx>("rbus mistakes, against a cluster");

test.before(async (ctx) => {
  ctx.cluster = await startConsumerCluster();
  const queues = await ctx.cluster.createTopic("orders");
  await ctx.cluster.send("orders", queues, 20);
  // a group with a live member, for the brokers to list
  ctx.consumer = new PullConsumer(ctx.cluster.nc, { group: "billing", clientId: "billing-1", heartbeatMs: 200 }).subscribe("orders", "*");
  await ctx.consumer.start();
  await waitUntil("broker-a lists billing", async () => {
    const s = await requestJson<{ consumerGroups: Array<{ group: string }> }>(ctx.cluster.nc, status, {}).catch(() => undefined);
    return s?.consumerGroups.some((g) => g.group === "billing");
  });
});
test.after(async (ctx) => {
  await ctx.consumer?.close();
  await ctx.cluster.stop();
});

const status = subjects().broker("broker-a", 0, "status");
const nats = (ctx: Ctx) => ["--nats", ctx.cluster.server.url];

test("consume of a topic nobody serves fails within --timeout, naming the nearest topic", async (ctx) => {
  const t0 = Date.now();
  const r = await runRbus(["consume", ...nats(ctx), "--topic", "ordrs", "--group", "g", "--timeout", "1000"], 15_000);
  assert.is(r.code, 1, r.stderr);
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  assert.match(r.stderr, /TOPIC_NOT_EXIST: topic "ordrs" has no route within --timeout 1000 ms: no live broker serves it; did you mean orders\?/);
});

test("consume with no NameServer up fails within --timeout and says so", async () => {
  const lonely = await startNatsServer();
  try {
    const r = await runRbus(["consume", "--nats", lonely.url, "--topic", "orders", "--group", "g", "--timeout", "1000"], 15_000);
    assert.is(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`no NameServer answers on ${lonely.url} within --timeout 1000 ms`), r.stderr);
  } finally {
    await lonely.stop();
  }
});

test("consume --client-id names the member the brokers list, and says which queues it took", async (ctx) => {
  // RBUS_LOG empty: the level a user gets by default
  const p = spawnRbus(["consume", ...nats(ctx), "--topic", "orders", "--group", "named", "--client-id", "my-reader"], { RBUS_LOG: "" });
  try {
    await waitUntil("broker-a lists my-reader in group named", async () => {
      const s = await requestJson<{ consumerGroups: Array<{ group: string; members: string[] }> }>(ctx.cluster.nc, status, {}).catch(() => undefined);
      return s?.consumerGroups.some((g) => g.group === "named" && g.members.includes("my-reader"));
    }).catch((err: Error) => assert.unreachable(`${err.message}: ${p.output()}`));
    // one info line on stderr per rebalance, without RBUS_LOG
    await waitUntil("consume logs its rebalance", () => /"msg":"rebalanced: took \d+/.test(p.output()))
      .catch((err: Error) => assert.unreachable(`${err.message}: ${p.output()}`));
  } finally {
    await p.kill();
  }
});

test("progress of a group nobody is in and that never committed: exit 1, did you mean", async (ctx) => {
  const r = await runRbus(["progress", "bilingg", ...nats(ctx), "--topic", "orders"]);
  assert.is(r.code, 1, r.stdout);
  assert.is(r.stdout, "");
  assert.match(r.stderr, /GROUP_NOT_EXIST: consumer group "bilingg" is not known on any of 2 master\(s\) \(did you mean "billing"\?\)/);
  const known = await runRbus(["progress", "billing", ...nats(ctx), "--topic", "orders", "--json"]);
  assert.is(known.code, 0, known.stderr);
});

test("message --key that finds nothing: exit 1 with a hint; an unknown topic names the nearest", async (ctx) => {
  const r = await runRbus(["message", ...nats(ctx), "--topic", "orders", "--key", "nope"]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /no message of orders has key "nope"/);
  const t = await runRbus(["route", "ordres", ...nats(ctx)]);
  assert.is(t.code, 1);
  assert.match(t.stderr, /TOPIC_NOT_EXIST: .*did you mean orders\?/);
});

test("inspect takes run-cluster's names, starts from every machine's state, hides xstate.* names", async (ctx) => {
  const p = spawnRbus(["inspect", ...nats(ctx), "--node", "broker-a.0"]);
  try {
    await waitUntil("watching broker-a-0", () => p.output().includes("watching rbus.inspect.broker-a-0"));
    const now = p.output().split("\n").filter((l) => l.endsWith("[now]"));
    assert.ok(now.length > 0, p.output());
    assert.ok(now.every((l) => /\sbroker-a-0\s/.test(l)), p.output());
    assert.not.match(p.output(), /xstate\./);
  } finally {
    await p.kill();
  }
  const all = spawnRbus(["inspect", ...nats(ctx), "--json"]);
  try {
    await waitUntil("watching everything", () => all.output().includes("watching rbus.inspect.>"));
    const nodes = new Set(all.output().split("\n").filter((l) => l.includes('"snapshot":true')).map((l) => (JSON.parse(l) as { node: string }).node));
    assert.equal([...nodes].sort(), ["broker-a-0", "broker-b-0", "ns-test"]);
  } finally {
    await all.kill();
  }
});

test("inspect --node that names no node lists the nodes (exit 2)", async (ctx) => {
  const r = await runRbus(["inspect", ...nats(ctx), "--node", "ns-9"], 15_000);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /no node "ns-9"/);
  assert.match(r.stderr, /nodes: ns-test, broker-a-0, broker-b-0; clients: .*billing-1/);
});

test.run();
