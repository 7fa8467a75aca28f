// Only brokers may publish rbus.ns.register and rbus.ns.unregister: a
// producer's, consumer's or dashboard's forged registration or unregister
// is a permissions violation. A broker may register, but only as itself: a
// replica of group b claiming broker-a.0, or a new group "evil", cannot
// answer the NameServer's identity check on that address (it may not
// subscribe there), so the NameServer refuses it. Routes stay the real ones.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { ErrorCode, RbusError, subjects, type RouteData } from "../../src/protocol/index.js";
import { requestAll, requestJson } from "../../src/runtime/request.js";
import { fourQueues, registerFake, registration } from "../harness/registration.js";
import { refusedByNats, startSecureCluster, violations, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();

interface Ctx {
  cluster: SecureCluster;
}

/** The addresses serving `topic`, as a producer's route shows them. */
async function routeAddresses(ctx: Ctx, topic: string): Promise<string[]> {
  const route = await requestJson<RouteData>(await ctx.cluster.connect("producer"), subj.ns.route, { topic });
  return route.groups.flatMap((g) => g.replicas.map((r) => r.address)).sort();
}

const test = suite<Ctx>("secured: registrations only from the replica itself");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster();
  const admin = await ctx.cluster.connect("admin");
  for (const g of ["broker-a", "broker-b"]) await requestJson(admin, subj.broker(g, 0, "topic.upsert"), { topic: "orders", readQueues: 2, writeQueues: 2, perm: "rw" });
  await waitUntil("orders on both groups", async () => (await routeAddresses(ctx, "orders").catch(() => [])).length === 2);
});

test.after(async (ctx) => {
  await ctx.cluster.stop();
});

test("a producer, a consumer and the dashboard may not publish register or unregister", async (ctx) => {
  const forged = { ...registration("evil", fourQueues("orders")), address: "evil.sink" };
  for (const user of ["producer", "consumer-billing", "dashboard"]) {
    const nc = await ctx.cluster.connect(user);
    const seen = violations(nc);
    assert.ok(await refusedByNats(requestJson(nc, subj.ns.register, forged)), `${user} register`);
    for (let i = 0; i < 10; i++) nc.publish(subj.ns.unregister, new TextEncoder().encode(JSON.stringify({ group: "broker-a", replica: 0 })));
    await nc.flush();
    await waitUntil(`${user}'s unregisters refused`, () => seen.filter((v) => v === `publish ${subj.ns.unregister}`).length === 10);
  }
  assert.equal(await routeAddresses(ctx, "orders"), ["rbus.broker.broker-a.0", "rbus.broker.broker-b.0"]);
});

test("a broker of group b registering as broker-a.0 cannot answer for it: FORBIDDEN", async (ctx) => {
  const nc = await ctx.cluster.connect("broker-b-0");
  const seen = violations(nc);
  const replies = await registerFake(nc, registration("broker-a", fourQueues("orders")));
  assert.ok(seen.includes(`subscription ${subj.broker("broker-a", 0, "identity")}`), seen.join("; "));
  assert.ok(replies.length > 0 && replies.every((r) => r instanceof RbusError && r.code === ErrorCode.FORBIDDEN), JSON.stringify(replies));
  assert.equal(await routeAddresses(ctx, "orders"), ["rbus.broker.broker-a.0", "rbus.broker.broker-b.0"]);
});

test("a broker registering a group of its own making is refused; no route leads there", async (ctx) => {
  const nc = await ctx.cluster.connect("broker-b-0");
  const replies = await registerFake(nc, registration("evil", fourQueues("orders")));
  assert.ok(replies.length > 0 && replies.every((r) => r instanceof RbusError), JSON.stringify(replies));
  assert.equal(await routeAddresses(ctx, "orders"), ["rbus.broker.broker-a.0", "rbus.broker.broker-b.0"]);
});

test("every NameServer still answers, and the nodes met no refusal", async (ctx) => {
  const infos = await requestAll(await ctx.cluster.connect("dashboard"), subj.ns.info, {});
  assert.is(infos.length, ctx.cluster.nats.cluster.nameServers.length);
  assert.equal(ctx.cluster.nodeViolations(), []);
});

test.run();
