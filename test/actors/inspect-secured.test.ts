// rbus.machines.<node> under the shipped permissions: the dashboard (and
// admin) may ask every node; each node serves only its own subject;
// producers and consumers may not ask.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeJson, subjects } from "../../src/protocol/index.js";
import type { MachinesNow } from "../../src/runtime/inspect.js";
import { refusedByNats, startSecureCluster, violations, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const test = suite<{ cluster: SecureCluster; dashboard: NatsConnection }>("secured: rbus.machines.<node>");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster();
  ctx.dashboard = await ctx.cluster.connect("dashboard");
});

test.after(async (ctx) => {
  await ctx.cluster.stop();
});

const ask = async (nc: NatsConnection, node: string) => decodeJson((await nc.request(subj.machines(node), "{}", { timeout: 2000 })).data) as MachinesNow;

test("the dashboard asks every node; each answers as itself, with no violation on either side", async (ctx) => {
  const seen = violations(ctx.dashboard);
  for (const node of ["ns-1", "broker-a-0", "broker-b-0"]) {
    const now = await ask(ctx.dashboard, node);
    assert.is(now.node, node);
    assert.ok(now.actors.length > 0, `${node} runs actors`);
  }
  assert.equal(seen, []);
  assert.equal(ctx.cluster.nodeViolations(), []);
});

test("admin may ask too; a producer or consumer may not", async (ctx) => {
  const admin = await ctx.cluster.connect("admin");
  assert.is((await ask(admin, "broker-a-0")).node, "broker-a-0");
  for (const user of ["producer", "consumer-billing"]) {
    const nc = await ctx.cluster.connect(user);
    assert.ok(await refusedByNats(nc.request(subj.machines("broker-a-0"), "{}", { timeout: 2000 })), user);
  }
});

test("a replica may not serve another node's machines subject", async (ctx) => {
  const nc = await ctx.cluster.connect("broker-a-0");
  const seen = violations(nc);
  const others = [subj.machines("broker-b-0"), subj.machines("ns-1")];
  for (const s of others) nc.subscribe(s);
  await nc.flush();
  await waitUntil("two refusals", () => seen.length >= 2);
  assert.equal(seen.sort(), others.map((s) => `subscription ${s}`).sort());
});

test.run();
