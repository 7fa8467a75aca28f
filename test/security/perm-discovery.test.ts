// Service discovery under the shipped permissions: the dashboard (and
// admin) may ask $SRV.PING/INFO/STATS and every node answers as itself;
// a node may not hear another service's or instance's discovery subjects
// (it could answer in its place), and clients without the right are refused.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { NatsConnection } from "@nats-io/transport-node";
import { MicroType, ServiceName, ServiceVerb, srvSubjects, type MicroInfo, type MicroPing, type MicroStats } from "../../src/protocol/index.js";
import { askAll } from "../harness/discovery.js";
import { refusedByNats, startSecureCluster, violations, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const test = suite<{ cluster: SecureCluster; dashboard: NatsConnection }>("secured: $SRV service discovery");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster();
  ctx.dashboard = await ctx.cluster.connect("dashboard");
});

test.after(async (ctx) => {
  await ctx.cluster.stop();
});

test("the dashboard pings every node; each answers as itself, with no violation on either side", async (ctx) => {
  const seen = violations(ctx.dashboard);
  const pings = await askAll<MicroPing>(ctx.dashboard, srvSubjects.all(ServiceVerb.ping), 3);
  assert.equal(pings.map((p) => [p.type, p.name, p.id]), [
    [MicroType.ping, ServiceName.broker, "broker-a-0"],
    [MicroType.ping, ServiceName.broker, "broker-b-0"],
    [MicroType.ping, ServiceName.nameserver, "ns-1"],
  ]);
  const info = await askAll<MicroInfo>(ctx.dashboard, srvSubjects.instance(ServiceVerb.info, ServiceName.broker, "broker-b-0"), 1);
  assert.is(info[0]?.id, "broker-b-0");
  assert.equal(seen, []);
  assert.equal(ctx.cluster.nodeViolations(), []);
});

test("admin may ask too; a producer or consumer may not", async (ctx) => {
  const admin = await ctx.cluster.connect("admin");
  assert.is((await askAll<MicroStats>(admin, srvSubjects.named(ServiceVerb.stats, ServiceName.nameserver), 1)).length, 1);
  for (const user of ["producer", "consumer-billing"]) {
    const nc = await ctx.cluster.connect(user);
    assert.ok(await refusedByNats(nc.request(srvSubjects.all(ServiceVerb.ping), "", { timeout: 2000 })), user);
  }
});

test("a replica may not hear another instance's or the NameServers' discovery subjects", async (ctx) => {
  const nc = await ctx.cluster.connect("broker-a-0");
  const seen = violations(nc);
  const own = srvSubjects.instance(ServiceVerb.info, ServiceName.broker, "broker-a-0");
  const others = [srvSubjects.instance(ServiceVerb.info, ServiceName.broker, "broker-b-0"), srvSubjects.named(ServiceVerb.ping, ServiceName.nameserver)];
  for (const s of [own, ...others]) nc.subscribe(s);
  await nc.flush();
  await waitUntil("both refusals", () => seen.length >= 2);
  assert.equal(seen.sort(), others.map((s) => `subscription ${s}`).sort());
});

test.run();
