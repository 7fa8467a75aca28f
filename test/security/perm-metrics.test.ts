// rbus.metrics.<node> under the shipped permissions: the dashboard (and
// admin) may ask every node; each node serves only its own subject (it
// cannot answer in another's place); producers and consumers may not ask.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeJson, subjects } from "../../src/protocol/index.js";
import type { NodeMetrics } from "../../src/protocol/metrics.js";
import { collectMetrics } from "../../src/metrics/collect.js";
import { refusedByNats, startSecureCluster, violations, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const test = suite<{ cluster: SecureCluster; dashboard: NatsConnection }>("secured: rbus.metrics.<node>");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster();
  ctx.dashboard = await ctx.cluster.connect("dashboard");
});

test.after(async (ctx) => {
  await ctx.cluster.stop();
});

test("the dashboard asks every node; each answers as itself, with no violation on either side", async (ctx) => {
  const seen = violations(ctx.dashboard);
  const answers = await collectMetrics(ctx.dashboard);
  assert.equal(answers.map((a) => [a.node, a.kind, a.metrics?.node, a.error]), [
    ["ns-1", "nameserver", "ns-1", undefined],
    ["broker-a-0", "broker", "broker-a-0", undefined],
    ["broker-b-0", "broker", "broker-b-0", undefined],
  ]);
  assert.equal(seen, []);
  assert.equal(ctx.cluster.nodeViolations(), []);
});

test("admin may ask too; a producer or consumer may not", async (ctx) => {
  const admin = await ctx.cluster.connect("admin");
  const m = decodeJson((await admin.request(subj.metrics("broker-a-0"), "{}", { timeout: 2000 })).data) as NodeMetrics;
  assert.is(m.node, "broker-a-0");
  for (const user of ["producer", "consumer-billing"]) {
    const nc = await ctx.cluster.connect(user);
    assert.ok(await refusedByNats(nc.request(subj.metrics("broker-a-0"), "{}", { timeout: 2000 })), user);
  }
});

test("a replica may not serve another node's metrics subject", async (ctx) => {
  const nc = await ctx.cluster.connect("broker-a-0");
  const seen = violations(nc);
  const others = [subj.metrics("broker-b-0"), subj.metrics("ns-1"), subj.metricsAll];
  nc.subscribe(subj.metrics("broker-a-0"));
  for (const s of others) nc.subscribe(s);
  await nc.flush();
  await waitUntil("three refusals", () => seen.length >= 3);
  assert.equal(seen.sort(), others.map((s) => `subscription ${s}`).sort());
});

test.run();
