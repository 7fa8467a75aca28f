// Forged registrations and unregisters against two NameServers and two
// brokers running as separate `rbus` processes, with NATS permissions off:
// the NameServers' own checks must keep every route pointing at the real
// replicas while a stock Producer sends.
import * as assert from "uvu/assert";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import {
  decodeJson,
  decodeMsgId,
  encodeJson,
  subjects,
  type BrokerIdentity,
  type RouteData,
} from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { spawnRbus, type RbusProcess } from "../harness/processes.js";
import { processSuite } from "../harness/process-suite.js";
import { registration } from "../harness/registration.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const TOPIC = "orders";
const test = processSuite("NameServers refuse forged brokers", { jetstream: false });

/** Every reply to one request on a subject every NameServer answers, decoded. */
async function askAll(nc: NatsConnection, subject: string, body: unknown): Promise<Array<{ error?: { code: string } }>> {
  const replies = await nc.requestMany(subject, encodeJson(body), { strategy: "stall", stall: 300, maxWait: 3000 });
  const out: Array<{ error?: { code: string } }> = [];
  for await (const m of replies) out.push(decodeJson(m.data) as { error?: { code: string } });
  return out;
}

const codes = (replies: Array<{ error?: { code: string } }>) => replies.map((r) => r.error?.code ?? "OK").sort();
const forgedSession = () => randomBytes(16).toString("hex");

function broker(ctx: { server: { url: string }; dir: string }, group: string): RbusProcess {
  return spawnRbus(["broker", "--nats", ctx.server.url, "--group", group, "--data", join(ctx.dir, group), "--heartbeat-interval", "500"]);
}

/** Sends 20 messages with a stock Producer; the group each went to. */
async function sendTwenty(nc: NatsConnection): Promise<string[]> {
  const producer = await new Producer(nc).start();
  try {
    const groups: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await producer.send({ topic: TOPIC, body: `m${i}` });
      assert.is(r.status, "SEND_OK");
      groups.push(decodeMsgId(r.msgId)!.group);
    }
    return groups;
  } finally {
    await producer.close();
  }
}

/** Polls the route for `ms`, and returns every route seen. */
async function routesFor(nc: NatsConnection, ms: number): Promise<RouteData[]> {
  const seen: RouteData[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    seen.push(await requestJson<RouteData>(nc, subj.ns.route, { topic: TOPIC }));
    await new Promise((r) => setTimeout(r, 50)); // pacing the polls, not waiting for a state
  }
  return seen;
}

const masterOfA = (r: RouteData) =>
  r.queues.some((q) => q.group === "broker-a" && q.writeQueues === 4) &&
  r.groups.find((g) => g.group === "broker-a")?.replicas.some((x) => x.role === "master");

test.before(async (ctx) => {
  const url = ctx.server.url;
  for (const id of ["ns-1", "ns-2"]) {
    ctx.procs.push(spawnRbus(["nameserver", "--nats", url, "--id", id, "--scan-interval", "200", "--suspect-after", "5000", "--dead-after", "10000"]));
  }
  await waitUntil("both NameServers up", async () => (await new Admin(ctx.nc).nameServers()).length === 2);
  ctx.procs.push(broker(ctx, "broker-a"), broker(ctx, "broker-b"));
  const admin = new Admin(ctx.nc);
  await waitUntil("both brokers in both NameServers", async () => (await admin.nameServers()).every((n) => n.liveness.alive === 2));
  await admin.createTopic({ topic: TOPIC, queues: 4 });
  await waitUntil("route of both groups", async () => (await admin.route(TOPIC)).queues.length === 2);
});

test("a made-up group is refused by both NameServers, whatever its address; the Producer sends nothing there", async ({ nc }) => {
  // The attacker answers sends as a broker would, but cannot prove the replica's identity.
  let stolen = 0;
  nc.subscribe(subj.broker("evil", 0, "send"), {
    callback: (_, m) => {
      stolen++;
      m.respond(encodeJson({ status: "SEND_OK" }));
    },
  });
  let sunk = 0;
  nc.subscribe("evil.>", { callback: () => void sunk++ });
  await nc.flush();
  const forged = (address: string) => ({ ...registration("evil", [{ topic: TOPIC, readQueues: 8, writeQueues: 8, perm: "rw" }]), address, session: forgedSession() });
  assert.equal(codes(await askAll(nc, subj.ns.register, forged("evil.sink"))), ["BAD_REQUEST", "BAD_REQUEST"]);
  for (const address of ["a b >", "x.>", "rbus.broker.*.0", "rbus.broker.broker-a.0"]) {
    assert.equal(codes(await askAll(nc, subj.ns.register, forged(address))), ["BAD_REQUEST", "BAD_REQUEST"], address);
  }
  assert.equal(codes(await askAll(nc, subj.ns.register, forged(subj.brokerBase("evil", 0)))), ["FORBIDDEN", "FORBIDDEN"]);
  const groups = await sendTwenty(nc);
  assert.is(stolen + sunk, 0, "no message reached the forged broker");
  assert.ok(groups.every((g) => g === "broker-a" || g === "broker-b"));
  const cluster = await new Admin(nc).cluster();
  assert.equal(cluster.brokers.map((b) => b.group).sort(), ["broker-a", "broker-b"]);
});

test("broker-a's registration forged every 300 ms (right address, wrong session) never replaces the real one", async ({ nc }) => {
  const real = await requestJson<BrokerIdentity>(nc, subj.broker("broker-a", 0, "identity"), {});
  // As a slave with no topics: had it been taken, broker-a would leave the route.
  const forged = { ...registration("broker-a", []), role: "slave", term: 99, session: forgedSession() };
  const first = await askAll(nc, subj.ns.register, forged);
  assert.equal(codes(first), ["FORBIDDEN", "FORBIDDEN"]);
  const timer = setInterval(() => nc.publish(subj.ns.register, encodeJson(forged)), 300);
  try {
    const seen = await routesFor(nc, 2000);
    assert.ok(seen.every(masterOfA), "every route showed broker-a as a master serving the topic");
    const groups = await sendTwenty(nc);
    assert.ok(groups.filter((g) => g === "broker-a").length >= 5, `broker-a kept its share: ${groups.join(",")}`);
    assert.ok(groups.filter((g) => g === "broker-b").length >= 5, `broker-b kept its share: ${groups.join(",")}`);
  } finally {
    clearInterval(timer);
  }
  const cluster = await new Admin(nc).cluster();
  const a = cluster.brokers.find((b) => b.group === "broker-a")!;
  assert.is(a.fingerprint, real.fingerprint, "the table holds the real replica's session");
  assert.ok(a.term !== 99 && a.role === "master", "the forged term and role were not taken");
  assert.not.match(JSON.stringify(cluster), forged.session, "no answer carries a session");
  const status = await requestJson<Record<string, unknown>>(nc, subj.broker("broker-a", 0, "status"), {});
  assert.is(status.session, undefined, "status shows no session");
});

test("an unregister of broker-a forged every 200 ms is refused and broker-a stays in every route", async ({ nc }) => {
  const forged = { group: "broker-a", replica: 0, session: forgedSession() };
  assert.equal(codes(await askAll(nc, subj.ns.unregister, forged)), ["FORBIDDEN", "FORBIDDEN"]);
  // As the issue saw it: no session at all.
  assert.equal(codes(await askAll(nc, subj.ns.unregister, { group: "broker-a", replica: 0 })), ["BAD_REQUEST", "BAD_REQUEST"]);
  const timer = setInterval(() => {
    nc.publish(subj.ns.unregister, encodeJson(forged));
    nc.publish(subj.ns.unregister, encodeJson({ group: "broker-a", replica: 0 }));
  }, 200);
  try {
    const seen = await routesFor(nc, 2000);
    assert.ok(seen.every(masterOfA), "broker-a was in every route");
    const groups = await sendTwenty(nc);
    assert.ok(groups.includes("broker-a") && groups.includes("broker-b"), groups.join(","));
  } finally {
    clearInterval(timer);
  }
});

test("a real restart of broker-a (a new session) is accepted at once, not after the old one goes dead", async (ctx) => {
  const { nc } = ctx;
  const admin = new Admin(nc);
  const before = await requestJson<BrokerIdentity>(nc, subj.broker("broker-a", 0, "identity"), {});
  const old = ctx.procs.find((p) => p.proc.spawnargs.includes("broker-a"))!;
  await old.kill("SIGKILL");
  ctx.procs.push(broker(ctx, "broker-a"));
  const after = await waitUntil("the new broker-a answers", () =>
    requestJson<BrokerIdentity>(nc, subj.broker("broker-a", 0, "identity"), {}, 500).catch(() => undefined),
  );
  assert.is.not(after.fingerprint, before.fingerprint);
  // Dead only after 10 s of silence: the new session must be in well before.
  const started = Date.now();
  // Cluster queries go to one NameServer of the queue group: four in a row that all agree.
  await waitUntil("the NameServers hold the new session", async () => {
    const all = await Promise.all([0, 1, 2, 3].map(() => admin.cluster()));
    return all.every((c) => c.brokers.find((b) => b.group === "broker-a")?.fingerprint === after.fingerprint);
  }, { timeoutMs: 3000 });
  assert.ok(Date.now() - started < 3000);
  const infos = await admin.nameServers();
  assert.ok(infos.every((i) => i.liveness.alive === 2), "both replicas alive in both");
  await waitUntil("route of broker-a again", async () => masterOfA(await admin.route(TOPIC)));
});

test.run();
