// Role changes and elections in rbus.metrics come from the replication
// events a replica already publishes: a 3-replica group in-process elects
// a master, hands mastership over (failover), and each replica's counters
// and its role and term follow.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeJson, encodeJson, subjects } from "../../src/protocol/index.js";
import type { BrokerMetrics } from "../../src/protocol/metrics.js";
import { BrokerCounters } from "../../actors/broker-metrics.js";
import { addReplicatedGroup, startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const G = "broker-r";
const ask = async (nc: NatsConnection, r: number) =>
  decodeJson((await nc.request(subj.metrics(`${G}-${r}`), "{}", { timeout: 2000 })).data) as BrokerMetrics;
const all = (nc: NatsConnection) => Promise.all([0, 1, 2].map((r) => ask(nc, r)));

const unit = suite("BrokerCounters from replication events");
unit("role events, elections started and won, truncations each counted once", () => {
  const c = new BrokerCounters();
  c.onReplication({ type: "election", outcome: "started", term: 2, preVote: false, transfer: false, votes: 1, at: 0 });
  c.onReplication({ type: "election", outcome: "won", term: 2, preVote: false, transfer: false, votes: 2, at: 0 });
  c.onReplication({ type: "role", role: "master", term: 2, master: 0, reason: "elected", at: 0 });
  c.onReplication({ type: "truncated", from: 10, to: 5, term: 2, at: 0 });
  assert.equal([c.electionsStarted, c.electionsWon, c.roleChanges, c.truncations], [1, 1, 1, 1]);
});
unit.run();

const test = suite<{ c: TestCluster }>("rbus.metrics: role changes and elections of a replicated group");
test.before(async (ctx) => {
  ctx.c = await startTestCluster([]);
  await addReplicatedGroup(ctx.c, G);
});
test.after(async (ctx) => {
  await ctx.c.stop();
});

test("a failover moves role and term, and counts the role changes and the election it took", async ({ c }) => {
  const master = await waitUntil("a master", async () => (await all(c.nc)).find((m) => m.role === "master"), { timeoutMs: 10_000 });
  const before = await all(c.nc);
  assert.ok(before[master.replica]!.elections.won >= 1, "the master won an election");
  assert.ok(before[master.replica]!.roleChanges >= 1);
  const to = (master.replica + 1) % 3;
  await c.nc.request(subj.broker(G, master.replica, "failover"), encodeJson({ to }), { timeout: 10_000 });
  const after = await waitUntil("the new master's metrics", async () => {
    const m = await all(c.nc);
    return m[to]!.role === "master" && m[master.replica]!.role === "slave" ? m : undefined;
  }, { timeoutMs: 10_000 });
  assert.ok(after[to]!.term > master.term, "a new term");
  assert.is(after[to]!.elections.won - before[to]!.elections.won, 1, "the target won one election");
  assert.ok(after[to]!.roleChanges > before[to]!.roleChanges, "the target's role changed");
  assert.ok(after[master.replica]!.roleChanges > before[master.replica]!.roleChanges, "the old master's role changed");
  assert.is(after[master.replica]!.elections.won, before[master.replica]!.elections.won, "the old master won none");
});

test.run();
