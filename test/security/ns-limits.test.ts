// A NameServer's own defences, permissions off: the broker cap, the rate of
// registrations per replica, bounded identity probes, and a table whose
// cost per registration does not grow with the brokers in it. One
// in-process NameServer on a real nats-server; fake replicas answer the
// identity check the way real ones do.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker } from "../../actors/broker.js";
import { startNameServer, type NameServerHandle } from "../../actors/nameserver.js";
import { decodeJson, encodeJson, subjects, type NameServerInfo, type NameServerLimits, type RegistrationRequest, type RouteData } from "../../src/protocol/index.js";
import { sessionFingerprint } from "../../src/protocol/session.js";
import { requestAll, requestJson } from "../../src/runtime/request.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { fourQueues, registerFake, registration, testSession } from "../harness/registration.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
/** A route request must be answered within this while the table is flooded. */
const ROUTE_DEADLINE_MS = 1000;

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  ns?: NameServerHandle;
}
const test = suite<Ctx>("NameServer limits");

test.before.each(async (ctx) => {
  ctx.server = await startNatsServer({ jetstream: false });
  ctx.nc = await connect({ servers: ctx.server.url });
});
test.after.each(async (ctx) => {
  await ctx.ns?.stop();
  ctx.ns = undefined;
  await ctx.nc.close();
  await ctx.server.stop();
});

async function nameServer(ctx: Ctx, limits: Partial<NameServerLimits> = {}): Promise<NameServerHandle> {
  ctx.ns = await startNameServer({ nc: ctx.nc, id: "ns-1", limits });
  return ctx.ns;
}

type Reply = { nameServer?: string; error?: { code: string; details?: { limit?: string } } };

async function register(nc: NatsConnection, reg: RegistrationRequest): Promise<Reply> {
  const m = await nc.request(subj.ns.register, encodeJson(reg), { timeout: 10_000 });
  return decodeJson(m.data) as Reply;
}

/** Answers every replica's identity check for the test sessions, as each replica would (groups "hung…" never answer). */
function answerEveryIdentity(nc: NatsConnection): { asked: () => number } {
  let asked = 0;
  nc.subscribe("rbus.broker.*.*.identity", {
    callback: (_, m: Msg) => {
      asked++;
      const [, , group, replica] = m.subject.split(".");
      if (group!.startsWith("hung")) return;
      const fingerprint = sessionFingerprint(testSession(group!, Number(replica)));
      m.respond(encodeJson({ group, replica: Number(replica), fingerprint, startedAt: 1 }));
    },
  });
  return { asked: () => asked };
}

/** Times route requests for a real topic until `done` resolves; the slowest answer in ms. */
async function slowestRoute(nc: NatsConnection, done: Promise<unknown>): Promise<{ slowest: number; asked: number }> {
  let finished = false;
  const finish = () => void (finished = true);
  done.then(finish, finish);
  let slowest = 0;
  let asked = 0;
  while (!finished) {
    const t = performance.now();
    const route = await requestJson<RouteData>(nc, subj.ns.route, { topic: "real" }, 5000);
    assert.equal(route.groups.map((g) => g.group), ["real"]);
    slowest = Math.max(slowest, performance.now() - t);
    asked++;
  }
  return { slowest, asked };
}

const info = (nc: NatsConnection) => requestJson<NameServerInfo>(nc, subj.ns.info, {});

test("2,000 distinct brokers at once: the cap holds, the rest get LIMIT_EXCEEDED, and routes are answered in time", async (ctx) => {
  const { nc } = ctx;
  await nameServer(ctx, { maxBrokers: 1000 });
  answerEveryIdentity(nc);
  await register(nc, registration("real", fourQueues("real")));
  const fakes = Array.from({ length: 2000 }, (_, i) => registration(`fake-${i}`, fourQueues("fake")));
  const outcome = new Map<string, string>();
  const flood = (async () => {
    // Replicas past the probes in flight are told to come back; each comes back until it is in or over the cap.
    let pending = fakes;
    while (pending.length > 0) {
      const replies = await Promise.all(pending.map((r) => register(nc, r)));
      const again: RegistrationRequest[] = [];
      replies.forEach((r, i) => {
        if (r.error?.details?.limit === "probes") again.push(pending[i]!);
        else outcome.set(pending[i]!.group, r.error ? `${r.error.code} ${r.error.details?.limit}` : "OK");
      });
      pending = again;
    }
  })();
  const t0 = performance.now();
  const { slowest, asked } = await slowestRoute(nc, flood);
  await flood;
  const took = performance.now() - t0;
  const counts: Record<string, number> = {};
  for (const v of outcome.values()) counts[v] = (counts[v] ?? 0) + 1;
  assert.equal(counts, { OK: 999, "LIMIT_EXCEEDED brokers": 1001 }, JSON.stringify(counts));
  assert.ok(slowest < ROUTE_DEADLINE_MS, `slowest route answer ${slowest.toFixed(0)} ms during the flood (${asked} asked, flood ${took.toFixed(0)} ms)`);
  const i = await info(nc);
  assert.is(i.brokers, 1000);
  assert.is(i.limits?.maxBrokers, 1000, "the cap is visible in info");
  assert.ok((i.refused?.limited ?? 0) >= 1001);
  console.log(`  2,000 registrations: ${took.toFixed(0)} ms, slowest route ${slowest.toFixed(1)} ms over ${asked} requests`);
});

test("10,000 forged registrations of made-up groups: all refused, the table untouched, routes answered in time", async (ctx) => {
  const { nc } = ctx;
  await nameServer(ctx);
  await registerFake(nc, registration("real", fourQueues("real")));
  const forged = (i: number): RegistrationRequest => ({ ...registration(`forged-${i}`, fourQueues("fake")), session: randomBytes(16).toString("hex") });
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) nc.publish(subj.ns.register, encodeJson(forged(i)));
  const refusedAll = waitUntil("every forged registration refused", async () => {
    const r = (await info(nc)).refused!;
    return r.forbidden + r.limited >= 10_000;
  }, { timeoutMs: 30_000 });
  const { slowest, asked } = await slowestRoute(nc, refusedAll);
  await refusedAll;
  const took = performance.now() - t0;
  const i = await info(nc);
  assert.is(i.brokers, 1, "only the real broker is in the table");
  assert.ok(slowest < ROUTE_DEADLINE_MS, `slowest route answer ${slowest.toFixed(0)} ms during the flood`);
  console.log(`  10,000 forged: refused in ${took.toFixed(0)} ms (${i.refused!.forbidden} forbidden, ${i.refused!.limited} over a limit), slowest route ${slowest.toFixed(1)} ms over ${asked}`);
});

test("one replica's registrations over its rate get LIMIT_EXCEEDED; a forger's flood does not use up the real replica's", async (ctx) => {
  const { nc } = ctx;
  await nameServer(ctx, { registrationBurst: 20, registrationsPerSecond: 5 });
  const real = registration("broker-a", fourQueues("orders"));
  await registerFake(nc, real);
  // A forger of broker-a, with its own session, as fast as it can.
  const forged = { ...real, session: randomBytes(16).toString("hex") };
  const forgedReplies = await Promise.all(Array.from({ length: 40 }, () => register(nc, forged)));
  assert.ok(forgedReplies.every((r) => r.error?.code === "FORBIDDEN" || r.error?.code === "LIMIT_EXCEEDED"), "the forger got nothing in");
  const replies = await Promise.all(Array.from({ length: 40 }, () => register(nc, real)));
  const ok = replies.filter((r) => !r.error).length;
  const limited = replies.filter((r) => r.error?.code === "LIMIT_EXCEEDED" && r.error.details?.limit === "registrationsPerSecond").length;
  assert.ok(ok >= 18 && ok <= 22, `about the burst (19 left, plus refill) accepted: ${ok}`);
  assert.is(ok + limited, 40);
  await waitUntil("a token again after a fifth of a second", async () => !(await register(nc, real)).error, { timeoutMs: 2000 });
});

test("a forger repeating one session as fast as it can does not hold up the real replica's restart", async (ctx) => {
  const { nc } = ctx;
  await nameServer(ctx);
  const real = { ...registration("broker-r", fourQueues("orders")), session: randomBytes(16).toString("hex") };
  let current = real.session;
  nc.subscribe(subj.broker("broker-r", 0, "identity"), {
    callback: (_, m) => void m.respond(encodeJson({ group: "broker-r", replica: 0, fingerprint: sessionFingerprint(current), startedAt: 1 })),
  });
  assert.is((await register(nc, real)).error, undefined);
  const forged = { ...real, session: randomBytes(16).toString("hex") };
  assert.is((await register(nc, forged)).error?.code, "FORBIDDEN", "the replica answered with its own fingerprint");
  const replies = await Promise.all(Array.from({ length: 200 }, () => register(nc, forged)));
  assert.ok(replies.every((r) => r.error?.code === "FORBIDDEN"), "each repeat is refused outright, none spends a token");
  const restarted = { ...real, session: randomBytes(16).toString("hex") };
  current = restarted.session;
  assert.is((await register(nc, restarted)).error, undefined, "the restart is in at once");
  assert.is((await register(nc, real)).error?.code, "FORBIDDEN", "the old session is gone");
});

test("a replica one NameServer refused for its rate registers again after a backoff, not a heartbeat later", async (ctx) => {
  const { nc } = ctx;
  const ns = await nameServer(ctx, { registrationBurst: 1, registrationsPerSecond: 2 });
  // Another NameServer, with the default limits, takes every registration: one ack is not enough.
  const other = await startNameServer({ nc, id: "ns-2" });
  const dir = mkdtempSync(join(tmpdir(), "rbus-ns-rate-"));
  // A heartbeat far longer than the test: only the retry can bring the last topics in.
  const broker = await startBroker({ nc, group: "broker-a", replica: 0, dataDir: dir, heartbeatIntervalMs: 600_000 });
  try {
    const topics = () => ns.actor.getSnapshot().context.brokers.get("broker-a.0")?.registration.topics.map((t) => t.topic) ?? [];
    await waitUntil("registered", () => topics().length > 0);
    const upsert = (topic: string) => requestJson(nc, subj.broker("broker-a", 0, "topic.upsert"), { topic, readQueues: 1, writeQueues: 1, perm: "rw" });
    await upsert("t1");
    await Promise.all(["t2", "t3", "t4"].map(upsert));
    await waitUntil("every topic at the NameServer", () => ["t1", "t2", "t3", "t4"].every((t) => topics().includes(t)), { timeoutMs: 5000 });
    const infos = await requestAll<NameServerInfo>(nc, subj.ns.info, {});
    const tight = infos.find((i): i is NameServerInfo => !(i instanceof Error) && i.nameServer === "ns-1");
    assert.ok(tight!.refused!.limited > 0, "some registration was over ns-1's rate");
  } finally {
    await broker.stop();
    await other.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("probes: one per replica for one session, another session waits its turn, a silent replica times out", async (ctx) => {
  const { nc } = ctx;
  await nameServer(ctx, { probeTimeoutMs: 300 });
  const ids = answerEveryIdentity(nc);
  const reg = registration("broker-a", fourQueues("orders"));
  const replies = await Promise.all(Array.from({ length: 10 }, () => register(nc, reg)));
  assert.ok(replies.every((r) => r.nameServer === "ns-1"), JSON.stringify(replies));
  assert.is(ids.asked(), 1, "the ten registrations of one new session cost one probe");
  // A replica that never answers its identity: refused once the probe times out.
  nc.subscribe(subj.broker("hung", 0, "identity"), { callback: () => {} });
  const hung = registration("hung", fourQueues("orders"));
  const t = performance.now();
  const [first, other] = await Promise.all([register(nc, hung), register(nc, { ...hung, session: randomBytes(16).toString("hex") })]);
  assert.is(first.error?.code, "FORBIDDEN");
  assert.ok(performance.now() - t >= 250, "refused after the timeout");
  assert.is(other.error?.details?.limit, "probesPerReplica", "a second session waits for the first probe to end");
  assert.is((await info(nc)).brokers, 1);
});

test("stop ends a probe in flight and its timer", async (ctx) => {
  const { nc } = ctx;
  const ns = await nameServer(ctx, { probeTimeoutMs: 600_000 });
  let probed = false;
  nc.subscribe(subj.broker("hung", 0, "identity"), { callback: () => void (probed = true) });
  const pending = register(nc, registration("hung", fourQueues("orders")));
  await waitUntil("the probe is in flight", () => probed);
  const t = performance.now();
  await ns.stop();
  ctx.ns = undefined;
  assert.ok(performance.now() - t < 1000, "stop does not wait for the probe's timeout");
  // The probe ended unanswered: the held registration is refused, not left hanging.
  assert.is((await pending).error?.code, "FORBIDDEN");
});

test.run();
