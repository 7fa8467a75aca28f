// Every user reads replies only under its own inbox prefix: a client that
// subscribes to _INBOX.> (or to another user's inbox) is refused and sees
// none of the replies others get, while their requests go on being
// answered.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { Subscription } from "@nats-io/transport-node";
import { subjects, type RouteData } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { startSecureCluster, violations, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();

const test = suite<{ cluster: SecureCluster }>("secured: no one reads another's replies");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster();
  const admin = await ctx.cluster.connect("admin");
  await requestJson(admin, subj.broker("broker-a", 0, "topic.upsert"), { topic: "orders", readQueues: 2, writeQueues: 2, perm: "rw" });
});

test.after(async (ctx) => {
  await ctx.cluster.stop();
});

test("_INBOX.> and _INBOX.consumer-billing.> are refused to the producer; it reads no reply", async (ctx) => {
  const nc = await ctx.cluster.connect("producer");
  const seen = violations(nc);
  const got: string[] = [];
  const subs: Subscription[] = ["_INBOX.>", "_INBOX.consumer-billing.>"].map((s) => nc.subscribe(s, { callback: (err, m) => void (err ?? got.push(m.subject)) }));
  await nc.flush();
  await waitUntil("both subscriptions refused", () => seen.includes("subscription _INBOX.>") && seen.includes("subscription _INBOX.consumer-billing.>"));
  const billing = await ctx.cluster.connect("consumer-billing");
  for (let i = 0; i < 10; i++) {
    const route = await requestJson<RouteData>(billing, subj.ns.route, { topic: "orders" });
    assert.ok(route.groups.length > 0);
  }
  assert.equal(got, []);
  assert.ok(subs.every((s) => s.isClosed()));
});

test("its own inbox works: the producer's requests are answered", async (ctx) => {
  const nc = await ctx.cluster.connect("producer");
  const route = await requestJson<RouteData>(nc, subj.ns.route, { topic: "orders" });
  assert.ok(route.groups.some((g) => g.group === "broker-a"));
});

test.run();
