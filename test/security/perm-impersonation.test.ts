// Under the shipped nats.conf and `rbus auth init`'s users, no one reads
// what producers send or poses as a node: a producer cannot subscribe to
// …send, a consumer cannot answer …pull or rbus.ns.route, a broker cannot
// serve or vote in another group. Each attempt is a permissions violation,
// and the real cluster goes on serving: sends are stored, pulls answered by
// the real broker, routes by the real NameServer. Under --no-auth the same
// subscriptions succeed (which is what the suite shows is closed).
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { PullConsumer, type ConsumedMessage } from "../../src/client/pull-consumer.js";
import { subjects, type RouteData } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { startSecureCluster, violations, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();

interface Ctx {
  cluster: SecureCluster;
}

/** Subscribes and keeps what arrives (answering requests with a forged reply); refused() once the server said no. */
async function spy(nc: NatsConnection, subject: string, queue?: string): Promise<{ sub: Subscription; got: string[]; refused: () => boolean }> {
  const seen = violations(nc);
  const got: string[] = [];
  const sub = nc.subscribe(subject, {
    ...(queue ? { queue } : {}),
    callback: (err, msg) => {
      if (err) return;
      got.push(new TextDecoder().decode(msg.data));
      if (msg.reply) msg.respond(new TextEncoder().encode(JSON.stringify({ forged: true, messages: [] })));
    },
  });
  await nc.flush();
  return { sub, got, refused: () => seen.includes(`subscription ${subject}`) };
}

async function sendAll(cluster: SecureCluster, topic: string, n: number, body: (i: number) => string): Promise<void> {
  const producer = await new Producer(await cluster.connect("producer")).start();
  for (let i = 0; i < n; i++) await producer.send({ topic, body: body(i) });
  await producer.close();
}

const test = suite<Ctx>("secured: no one reads sends or poses as a node");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster();
  const admin = new Admin(await ctx.cluster.connect("admin"));
  await waitUntil("both groups registered", async () => (await admin.cluster().catch(() => ({ brokers: [] }))).brokers.length === 2);
  await admin.createTopic({ topic: "orders", queues: 2 });
});

test.after(async (ctx) => {
  await ctx.cluster.stop();
});

test("a producer subscribing to rbus.broker.*.*.send is refused and sees no body", async (ctx) => {
  const nc = await ctx.cluster.connect("producer");
  const s = await spy(nc, "rbus.broker.*.*.send");
  await waitUntil("the subscription refused", () => s.refused());
  await sendAll(ctx.cluster, "orders", 10, (i) => `secret ${i}`);
  assert.equal(s.got, []);
});

test("a consumer answering broker-a.0.pull is refused; every pull is the real broker's", async (ctx) => {
  const nc = await ctx.cluster.connect("consumer-billing");
  const rogue = await spy(nc, subj.broker("broker-a", 0, "pull"));
  await waitUntil("the subscription refused", () => rogue.refused());
  await sendAll(ctx.cluster, "orders", 10, (i) => `real ${i}`);
  const consumer = new PullConsumer(await ctx.cluster.connect("consumer-billing"), { group: "billing", from: "first", pollWaitMs: 500, heartbeatMs: 300 });
  consumer.subscribe("orders");
  await consumer.start();
  const got: ConsumedMessage[] = [];
  await waitUntil("20 messages pulled", async () => {
    got.push(...(await consumer.poll(200)));
    return got.length >= 20;
  });
  await consumer.close();
  assert.ok(got.every((m) => /^(secret|real) \d$/.test(m.body.toString())), "only stored messages");
  assert.equal(rogue.got, []);
});

test("a consumer serving rbus.ns.route in the NameServers' queue group is refused; 10 of 10 routes are real", async (ctx) => {
  const nc = await ctx.cluster.connect("consumer-billing");
  const rogue = await spy(nc, subj.ns.route, subj.ns.queueGroup);
  await waitUntil("the subscription refused", () => rogue.refused());
  const asker = await ctx.cluster.connect("producer");
  for (let i = 0; i < 10; i++) {
    const route = await requestJson<RouteData>(asker, subj.ns.route, { topic: "orders" });
    assert.ok(route.groups.some((g) => g.group === "broker-a"), JSON.stringify(route));
  }
  assert.equal(rogue.got, []);
});

test("a broker of group b cannot serve, replicate from or vote in group a", async (ctx) => {
  const nc = await ctx.cluster.connect("broker-b-0");
  const seen = violations(nc);
  const rogue = await spy(nc, subj.broker("broker-a", 0, "pull"));
  const votes = await spy(nc, subj.vote("broker-a"));
  nc.publish(subj.broker("broker-a", 0, "ha.fetch"), new Uint8Array());
  nc.publish(subj.vote("broker-a"), new Uint8Array());
  await nc.flush();
  await waitUntil("four refusals", () => seen.length >= 4);
  assert.ok(rogue.refused() && votes.refused(), seen.join("; "));
  assert.ok(seen.includes(`publish ${subj.broker("broker-a", 0, "ha.fetch")}`), seen.join("; "));
  assert.ok(seen.includes(`publish ${subj.vote("broker-a")}`), seen.join("; "));
});

test("the nodes themselves met no refusal", (ctx) => {
  assert.equal(ctx.cluster.nodeViolations(), []);
});

test.run();

const open = suite<Ctx>("--no-auth: the same subscriptions succeed");

open.before(async (ctx) => {
  ctx.cluster = await startSecureCluster({ open: true });
});

open.after(async (ctx) => {
  await ctx.cluster.stop();
});

open("a producer's subscription to …send reads the bodies others send", async (ctx) => {
  const s = await spy(await ctx.cluster.connect("producer"), "rbus.broker.*.*.send");
  await waitUntil("a route", async () => (await new Admin(await ctx.cluster.connect("admin")).cluster()).brokers.length === 2);
  const nc = await ctx.cluster.connect("producer");
  nc.publish(subj.broker("broker-a", 0, "send"), new TextEncoder().encode("visible"));
  await waitUntil("the spy read it", () => s.got.includes("visible"));
  assert.not.ok(s.refused());
});

open.run();
