// `rbus dashboard` as its own process against a real cluster of processes
// (two NameServers, a replicated group of three): the snapshot shows every
// node with roles and liveness, lookups find a sent message by id and by
// key, /metrics counts exactly what was sent, and the stream tells of a
// broker that stops.
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { ensureEventsStream } from "../../src/cluster/events-stream.js";
import type { DashboardSnapshot, ErrorReply, MessageReply } from "../../src/dashboard/api.js";
import type { InspectEvent } from "../../src/runtime/inspect.js";
import { parsePrometheus } from "../actors/prometheus-text.js";
import { processSuite } from "../harness/process-suite.js";
import { spawnRbus } from "../harness/processes.js";
import { ReplicaGroup } from "../harness/replica-group.js";
import { waitUntil } from "../harness/wait.js";

type Ctx = { group: ReplicaGroup; url: string; producer: Producer };
const test = processSuite("rbus dashboard on a cluster of processes");
const ctx = {} as Ctx;

const getJson = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const res = await fetch(new URL(path, ctx.url));
  return { status: res.status, body: (await res.json()) as T };
};

test.before(async (c) => {
  await ensureEventsStream(c.nc);
  ctx.group = await ReplicaGroup.start({ server: c.server, nc: c.nc, dir: c.dir, replicas: 3, failover: "manual", heartbeatMs: 500, logLevel: "warn" });
  // the master may not have registered with the NameServers yet: an upsert is safe to repeat
  const admin = new Admin(c.nc);
  await waitUntil("the topic created on the registered master", () => admin.createTopic({ topic: "orders", queues: 2 }).then(() => true, () => false), { timeoutMs: 20_000 });
  const dash = spawnRbus(["dashboard", "--nats", c.server.url, "--port", "0"]);
  c.procs.push(dash);
  ctx.url = await waitUntil("the dashboard's address", () => /dashboard: (http:\/\/\S+)/.exec(dash.output())?.[1], { timeoutMs: 20_000 });
  ctx.producer = await new Producer(c.nc).start();
});

test.after(async () => {
  await ctx.producer?.close().catch(() => undefined);
  await ctx.group?.close();
});

test("prints only its address, and /api/snapshot shows every NameServer and replica with roles and liveness", async (c) => {
  const out = c.procs[0]!.output();
  assert.match(ctx.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.not.match(out, /"level":"(warn|error)"/, out);
  const snap = await waitUntil("every replica alive on both NameServers", async () => {
    const { body } = await getJson<DashboardSnapshot>("/api/snapshot");
    const b = body.cluster.brokers;
    return b.length === 3 && b.every((r) => r.liveness["ns-1"] === "alive" && r.liveness["ns-2"] === "alive") ? body : undefined;
  }, { timeoutMs: 15_000, intervalMs: 200 });
  assert.equal(snap.cluster.nameServers.map((n) => n.nameServer), ["ns-1", "ns-2"]);
  assert.equal(snap.cluster.brokers.map((b) => [b.node, b.role]), [["broker-a-0", "master"], ["broker-a-1", "slave"], ["broker-a-2", "slave"]]);
  const kinds = Object.fromEntries(snap.nodes.map((n) => [n.name, n.kind]));
  for (const ns of ["ns-1", "ns-2"]) assert.is(kinds[ns], "nameserver");
  for (const r of ["broker-a-0", "broker-a-1", "broker-a-2"]) assert.is(kinds[r], "broker");
  assert.equal(snap.cluster.topics.find((t) => t.topic === "orders")?.placements, [{ group: "broker-a", readQueues: 2, writeQueues: 2, perm: "rw" }]);
  assert.ok(snap.samples.length >= 1 && snap.samples.at(-1)!.brokers["broker-a-0"]?.role === "master");
  assert.ok(snap.events.length > 0, "the events stream's history (liveness, role changes) is on the time line");
});

test("/api/message finds a sent message by id and by key; a bad or unknown query is a typed 4xx", async () => {
  const sent = await ctx.producer.send({ topic: "orders", body: "find me", keys: ["order-42"] });
  const byId = await getJson<MessageReply>(`/api/message?id=${encodeURIComponent(sent.msgId)}`);
  assert.is(byId.status, 200);
  assert.is(byId.body.messages[0]?.body, "find me");
  const byKey = await getJson<MessageReply>("/api/message?topic=orders&key=order-42");
  assert.is(byKey.status, 200);
  assert.equal(byKey.body.messages.map((m) => m.msgId), [sent.msgId]);
  const none = await getJson<ErrorReply>("/api/message?topic=orders&key=no-such-key");
  assert.is(none.status, 404);
  assert.is(none.body.error.code, "NOT_FOUND");
  const bad = await getJson<ErrorReply>("/api/message?id=not-an-id");
  assert.is(bad.status, 400);
  assert.is(bad.body.error.code, "BAD_REQUEST");
  assert.is((await getJson<ErrorReply>("/api/message")).status, 400);
});

test("/metrics parses as Prometheus text and its send counter rises by exactly what was sent", async () => {
  const sentTotal = async () => {
    const res = await fetch(new URL("/metrics", ctx.url));
    assert.is(res.status, 200);
    const prom = parsePrometheus(await res.text());
    return prom.samples.filter((s) => s.name === "rocketbus_broker_put_messages_total" && s.labels.topic === "orders").reduce((n, s) => n + s.value, 0);
  };
  const before = await sentTotal();
  for (let i = 0; i < 7; i++) await ctx.producer.send({ topic: "orders", body: `m${i}` });
  assert.is(await sentTotal(), before + 7);
});

test("/api/stream delivers an inspect event when a broker is stopped", async () => {
  const res = await fetch(new URL("/api/stream", ctx.url));
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const inspects = () =>
    [...text.matchAll(/event: inspect\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]!) as InspectEvent);
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += value;
    }
  })().catch(() => undefined);
  await waitUntil("the stream's first bytes", () => text.startsWith(":"));
  await ctx.group.replica(2).stop("SIGTERM");
  const seen = await waitUntil("an inspect event of broker-a-2 stopping, or a NameServer's liveness actor of it", () =>
    inspects().find((e) => (e.node === "broker-a-2" && e.status !== "active") || e.actor === "liveness-broker-a.2"),
  { timeoutMs: 15_000, intervalMs: 100 });
  assert.ok(seen.at > 0);
  await reader.cancel();
  await pump;
});

test.run();
