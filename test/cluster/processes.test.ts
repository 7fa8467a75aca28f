// NameServers and brokers as separate processes, as run-cluster runs them.
import * as assert from "uvu/assert";
import { join } from "node:path";
import { Admin } from "../../src/client/admin.js";
import { headers } from "@nats-io/transport-node";
import { decodeJson, Header, subjects, type RouteData, type SendResult } from "../../src/protocol/index.js";
import { requestAll } from "../../src/runtime/request.js";
import { startNatsServer } from "../harness/nats-server.js";
import { runRbus, spawnRbus } from "../harness/processes.js";
import { collectLiveness } from "../harness/events.js";
import { processSuite, type ProcessCtx } from "../harness/process-suite.js";
import { waitUntil } from "../harness/wait.js";

const test = processSuite("cluster in separate processes");
const nameServerIds = ["ns-1", "ns-2"];

const nameServer = (ctx: ProcessCtx, id: string) =>
  spawnRbus(["nameserver", "--nats", ctx.server.url, "--id", id, "--scan-interval", "100", "--suspect-after", "1000", "--dead-after", "2000"]);
const broker = (ctx: ProcessCtx, group: string) =>
  spawnRbus(["broker", "--nats", ctx.server.url, "--group", group, "--replica", "0", "--data", join(ctx.dir, group), "--heartbeat-interval", "200"]);

test("2 NameServers and 2 brokers: registration, routes, SIGKILL, clean stop, return", async (ctx) => {
  const admin = new Admin(ctx.nc);
  const log = collectLiveness(ctx.nc);
  for (const id of nameServerIds) ctx.procs.push(nameServer(ctx, id));
  await waitUntil("both NameServers up", async () => (await admin.nameServers()).length === 2);
  const a = broker(ctx, "broker-a");
  const b = broker(ctx, "broker-b");
  ctx.procs.push(a, b);

  // Both NameServers list both brokers.
  await waitUntil("both brokers in both NameServers", async () => {
    const ns = await admin.nameServers();
    return ns.length === 2 && ns.every((n) => n.brokers === 2 && n.liveness.alive === 2);
  });
  const cluster = await admin.cluster();
  assert.equal(cluster.brokers.map((x) => `${x.group}:${x.liveness}`), ["broker-a:alive", "broker-b:alive"]);

  // A route query is answered by one NameServer.
  const routes = await requestAll<RouteData>(ctx.nc, subjects().ns.route, { topic: "TBW102" });
  assert.is(routes.length, 1);
  assert.equal((routes[0] as RouteData).groups.map((g) => g.group), ["broker-a", "broker-b"]);

  // SIGKILL: suspect, then dead, in both NameServers; the broker leaves the routes.
  await a.kill("SIGKILL");
  await waitUntil("broker-a dead in both", () => nameServerIds.every((ns) => log.has(ns, "broker-a.0", "suspect->dead")), {
    timeoutMs: 15_000,
  });
  for (const ns of nameServerIds) assert.ok(log.has(ns, "broker-a.0", "alive->suspect"), `${ns} saw it suspect first`);
  const route = await admin.route("TBW102");
  assert.equal(route.groups.map((g) => g.group), ["broker-b"]);

  // A clean stop leaves at once: removed straight from alive.
  const stoppedAt = Date.now();
  assert.is(await b.kill("SIGTERM"), 0, "a clean stop exits 0");
  await waitUntil("broker-b removed from both", () => nameServerIds.every((ns) => log.has(ns, "broker-b.0", "alive->removed")));
  assert.ok(Date.now() - stoppedAt < 1000, "removal does not wait for the scan");
  assert.not.ok(log.lines((e) => e.group === "broker-b").some((l) => l.includes("suspect")));

  // The killed broker comes back: alive again in both.
  ctx.procs.push(broker(ctx, "broker-a"));
  await waitUntil("broker-a alive again", () => nameServerIds.every((ns) => log.has(ns, "broker-a.0", "dead->alive")));
  assert.equal((await admin.route("TBW102")).groups.map((g) => g.group), ["broker-a"]);
});

test("rbus cluster prints NameServers and brokers with liveness and last heartbeat", async (ctx) => {
  const out = await runRbus(["cluster", "--nats", ctx.server.url]);
  assert.is(out.code, 0, out.stderr);
  assert.match(out.stdout, /NameServers \(2\):/);
  assert.match(out.stdout, /ns-1/);
  assert.match(out.stdout, /broker-a\s+0\s+master\s+\d+\s+alive\s+\d+s ago/);
  const json = await runRbus(["cluster", "--nats", ctx.server.url, "--json"]);
  const parsed = JSON.parse(json.stdout) as { nameServers: unknown[]; brokers: Array<{ group: string; lastHeartbeatAt: number }> };
  assert.is(parsed.nameServers.length, 2);
  assert.ok(parsed.brokers.every((x) => x.lastHeartbeatAt > 0));
});

test("rbus topic create and list, route, and message lookup", async (ctx) => {
  const created = await runRbus(["topic", "create", "--nats", ctx.server.url, "--topic", "orders", "--queues", "8"]);
  assert.is(created.code, 0, created.stderr);
  assert.equal(JSON.parse(created.stdout).map((t: { group: string; writeQueues: number }) => `${t.group}:${t.writeQueues}`), ["broker-a:8"]);
  const list = await runRbus(["topic", "list", "--nats", ctx.server.url]);
  assert.match(list.stdout, /orders\s+broker-a\s+8\s+8\s+rw/);
  await waitUntil("route registered", async () => (await runRbus(["route", "orders", "--nats", ctx.server.url])).code === 0);
  const route = await runRbus(["route", "orders", "--nats", ctx.server.url]);
  assert.match(route.stdout, /broker-a\s+8\/8\s+rw\s+0\s+master\s+alive\s+rbus\.broker\.broker-a\.0/);
  const h = headers();
  h.set(Header.topic, "orders");
  h.set(Header.keys, "order-17");
  const sent = decodeJson((await ctx.nc.request(subjects().broker("broker-a", 0, "send"), "payload", { headers: h, timeout: 3000 })).data) as SendResult;
  const byId = await runRbus(["message", "--nats", ctx.server.url, "--id", sent.msgId]);
  assert.is(JSON.parse(byId.stdout).body, "payload");
  const byKey = await runRbus(["message", "--nats", ctx.server.url, "--topic", "orders", "--key", "order-17"]);
  assert.is(JSON.parse(byKey.stdout.trim()).msgId, sent.msgId);
  const missing = await runRbus(["route", "no-such-topic", "--nats", ctx.server.url]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /TOPIC_NOT_EXIST/);
});

test("rbus cluster without NameServers says what to do", async (ctx) => {
  const lonely = await startNatsServer({ jetstream: false });
  try {
    const out = await runRbus(["cluster", "--nats", lonely.url]);
    assert.is(out.code, 1);
    assert.match(out.stderr, /no NameServer answers.*make run-cluster/);
  } finally {
    await lonely.stop();
  }
  assert.ok(ctx.server.url);
});

test("bad command lines exit 2 with usage", async () => {
  const out = await runRbus(["broker", "--group", "a"]);
  assert.is(out.code, 2);
  assert.match(out.stderr, /--data is required/);
  const unknown = await runRbus(["frobnicate"]);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
});

test.run();
