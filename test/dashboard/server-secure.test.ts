// The dashboard connected as the `dashboard` NATS user of a secured
// cluster: every right it uses is one that user has (a missing one shows as
// a permissions violation), consumer groups show their members and the
// queues each was assigned, and an inspect flood from a consumer's
// credentials (anyone with that role may publish on rbus.inspect.*) leaves
// the hub within its bounds, with no node's actors overwritten.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../../src/client/admin.js";
import { PullConsumer } from "../../src/client/pull-consumer.js";
import { ensureEventsStream } from "../../src/cluster/events-stream.js";
import type { DashboardSnapshot } from "../../src/dashboard/api.js";
import { startDashboard, type Dashboard } from "../../src/dashboard/dashboard.js";
import { encodeJson, subjects } from "../../src/protocol/index.js";
import { parsePrometheus } from "../actors/prometheus-text.js";
import { startSecureCluster, violations, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const LIMITS = { maxNodes: 40, maxActors: 80, transitionsPerNode: 5, maxEvents: 20 };

type Ctx = { cluster: SecureCluster; dash: Dashboard; seen: string[]; consumer: PullConsumer };
const test = suite<Ctx>("the dashboard as the dashboard user of a secured cluster");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster();
  const admin = await ctx.cluster.connect("admin");
  await ensureEventsStream(admin);
  await new Admin(admin).createTopic({ topic: "orders", queues: 2 });
  const nc: NatsConnection = await ctx.cluster.connect("dashboard");
  ctx.seen = violations(nc);
  ctx.dash = await startDashboard(nc, { port: 0, pollMs: 300, limits: LIMITS });
  ctx.consumer = new PullConsumer(await ctx.cluster.connect("consumer-billing"), { group: "billing", clientId: "billing-1", heartbeatMs: 300, retryMs: 50, inspectRefreshMs: 200 });
  ctx.consumer.subscribe("orders");
  await ctx.consumer.start();
});

test.after(async (ctx) => {
  await ctx.consumer?.close().catch(() => undefined);
  await ctx.dash?.close();
  await ctx.cluster.stop();
});

const snapshot = async (ctx: Ctx) => (await (await fetch(new URL("/api/snapshot", ctx.dash.url))).json()) as DashboardSnapshot;

test("sees the cluster, the events' history and each member's assigned queues, with no right missing", async (ctx) => {
  const snap = await waitUntil("billing-1 with its four queues", async () => {
    const s = await snapshot(ctx);
    return s.cluster.consumerGroups.find((g) => g.consumerGroup === "billing")?.members[0]?.assigned.length === 4 ? s : undefined;
  }, { timeoutMs: 10_000, intervalMs: 100 });
  assert.equal(snap.cluster.brokers.map((b) => [b.node, b.role, b.liveness["ns-1"]]), [["broker-a-0", "master", "alive"], ["broker-b-0", "master", "alive"]]);
  const billing = snap.cluster.consumerGroups.find((g) => g.consumerGroup === "billing")!;
  assert.equal(billing.members.map((m) => m.clientId), ["billing-1"]);
  assert.equal(billing.members[0]!.assigned, ["orders@broker-a#0", "orders@broker-a#1", "orders@broker-b#0", "orders@broker-b#1"]);
  const node = snap.nodes.find((n) => n.name === "billing-1");
  assert.equal([node?.kind, node?.consumerGroup], ["consumer", "billing"]);
  assert.ok(snap.actors.some((a) => a.node === "ns-1" && a.actor === "liveness-broker-a.0"), "the NameServer's machines, asked on rbus.machines");
  assert.ok(snap.events.some((e) => e.kind === "consumers"), "billing's membership event, from the events stream");
  const prom = parsePrometheus(await (await fetch(new URL("/metrics", ctx.dash.url))).text());
  const up = prom.samples.filter((s) => s.name === "rocketbus_node_up");
  assert.equal(up.map((s) => [s.labels.node, s.value]).sort(), [["broker-a-0", 1], ["broker-b-0", 1], ["ns-1", 1]]);
  assert.equal(ctx.seen, [], "the dashboard user's rights cover everything the dashboard asks");
});

test("a hostile inspect flood leaves the hub within its bounds and real nodes as they are", async (ctx) => {
  const evil = await ctx.cluster.connect("consumer-audit");
  const event = (node: string, actor: string, state: unknown, extra: object = {}) =>
    encodeJson({ node, actor, machine: "rebalance", state, status: "active", event: "FLOOD", at: Date.now(), ...extra });
  for (let i = 0; i < 300; i++) evil.publish(subj.inspect(`evil-${i}`), event(`evil-${i}`, "a", "s"));
  for (let i = 0; i < 300; i++) evil.publish(subj.inspect("evil-0"), event("evil-0", `a${i}`, "s"));
  for (let i = 0; i < 100; i++) evil.publish(subj.inspect("evil-1"), event("evil-1", "a", `s${i}`));
  evil.publish(subj.inspect("evil-2"), event("ns-1", "ns-1", "hacked"));
  evil.publish(subj.inspect("evil-3"), event("evil-3", "a", "s", { context: { pad: "x".repeat(64 * 1024) } }));
  evil.publish(subj.inspect("evil-4"), new TextEncoder().encode("{not json"));
  await evil.flush();
  const hub = ctx.dash.hub;
  // published last, so heard last: the flood has been handled once these are counted
  await waitUntil("the spoofed, oversized and malformed messages counted", () =>
    hub.state.dropped.spoofed >= 1 && hub.state.dropped.size >= 1 && hub.state.dropped.malformed >= 1);
  assert.ok(hub.state.nodes.size <= LIMITS.maxNodes, `${hub.state.nodes.size} nodes`);
  assert.ok(hub.state.actorTotal <= LIMITS.maxActors, `${hub.state.actorTotal} actors`);
  assert.ok(hub.state.dropped.nodes > 0 && hub.state.dropped.actors > 0, JSON.stringify(hub.state.dropped));
  const snap = await snapshot(ctx);
  assert.ok(snap.actors.length <= LIMITS.maxActors);
  for (const [node, list] of Object.entries(snap.transitions)) assert.ok(list.length <= LIMITS.transitionsPerNode, `${node}: ${list.length}`);
  assert.is(snap.actors.find((a) => a.node === "ns-1" && a.actor === "ns-1")?.state, "serving", "a payload naming another node is not believed");
  for (const real of ["ns-1", "broker-a-0", "broker-b-0", "billing-1"]) assert.ok(snap.nodes.some((n) => n.name === real), real);
  assert.ok(JSON.stringify(snap).length < 256 * 1024, "the snapshot stays small");
});

test.run();
