// rbus sub, req and events against a real nats-server with a NameServer, a
// broker and the events stream run-cluster makes.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { ensureEventsStream } from "../../src/cluster/events-stream.js";
import { encodeJson, subjects } from "../../src/protocol/index.js";
import { runRbus, spawnRbus } from "../harness/processes.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";

interface Ctx {
  cluster: TestCluster;
}
const subj = subjects();
const test = suite<Ctx>("rbus sub, req, events");

test.before(async (ctx) => {
  ctx.cluster = await startTestCluster(["broker-a"], { jetstream: true });
  await ensureEventsStream(ctx.cluster.nc);
});
test.after(async (ctx) => {
  await ctx.cluster.stop();
});

const nats = (ctx: Ctx) => ["--nats", ctx.cluster.server.url];

test("req: the NameServer's cluster table, pretty-printed; --raw as it came; headers go along", async (ctx) => {
  const r = await runRbus(["req", subj.ns.cluster, "{}", ...nats(ctx)]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\{\n  "/, "pretty JSON");
  assert.ok((JSON.parse(r.stdout) as { brokers: Array<{ group: string }> }).brokers.some((b) => b.group === "broker-a"));
  const raw = await runRbus(["req", subj.ns.cluster, "{}", "--raw", ...nats(ctx)]);
  assert.is(raw.stdout.trim().split("\n").length, 1, "one line");

  const echo = ctx.cluster.nc.subscribe("test.echo", { callback: (_, m) => void m.respond(encodeJson({ h: m.headers?.get("x-who") ?? null })) });
  await ctx.cluster.nc.flush();
  const h = await runRbus(["req", "test.echo", "", "-H", "x-who: me", ...nats(ctx)]);
  assert.is(h.code, 0, h.stderr);
  assert.equal(JSON.parse(h.stdout), { h: "me" });
  echo.unsubscribe();
});

test("req: nobody answering is an error, with --replies 0 too", async (ctx) => {
  const r = await runRbus(["req", "test.nobody", "x", "--timeout", "500", ...nats(ctx)]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /NO_RESPONDERS: nobody answers requests on test\.nobody/);
  const many = await runRbus(["req", subj.ns.info, "{}", "--replies", "0", "--timeout", "500", ...nats(ctx)]);
  assert.is(many.code, 0, many.stderr);
  assert.match(many.stdout, /"nameServer": "ns-test"/);
});

test("sub --count: prints what is published, then exits; --raw prints payloads alone", async (ctx) => {
  const p = spawnRbus(["sub", "test.sub.>", "--count", "2", "--headers", ...nats(ctx)]);
  const raw = spawnRbus(["sub", "test.sub.>", "--count", "2", "--raw", ...nats(ctx)]);
  await waitUntil("both listening", () => p.output().includes("listening on test.sub.>") && raw.output().includes("listening on"));
  ctx.cluster.nc.publish("test.sub.a", encodeJson({ n: 1 }));
  ctx.cluster.nc.publish("test.sub.b", "plain text");
  // SIGCONT changes nothing: kill() resolves with the exit code once each ends on its own
  assert.is(await p.kill("SIGCONT"), 0);
  assert.is(await raw.kill("SIGCONT"), 0);
  assert.match(p.output(), /\[#1\] \S+ test\.sub\.a\n\{\n  "n": 1\n\}/);
  assert.match(p.output(), /\[#2\] \S+ test\.sub\.b\nplain text/);
  assert.match(raw.output(), /\{"n":1\}\nplain text\n/);
});

test("events: history from --since, --kind filters, --follow goes on with new events", async (ctx) => {
  const nc = ctx.cluster.nc;
  nc.publish(subj.events.role("broker-a"), encodeJson({ at: Date.now(), group: "broker-a", kind: "elected", term: 7 }));
  nc.publish(subj.events.store("broker-a", 0), encodeJson({ at: Date.now(), group: "broker-a", replica: 0, kind: "disk-full" }));
  await nc.flush();
  await waitUntil("both in the stream", async () => {
    const r = await runRbus(["events", "--since", "1m", "--json", ...nats(ctx)]);
    return r.stdout.includes('"term":7') && r.stdout.includes("disk-full");
  });
  const role = await runRbus(["events", "--since", "1m", "--kind", "role", ...nats(ctx)]);
  assert.is(role.code, 0, role.stderr);
  assert.match(role.stdout, /role\s+role\.broker-a\s+\{.*"term":7/);
  assert.not.match(role.stdout, /disk-full/);
  const future = await runRbus(["events", "--since", new Date(Date.now() + 60_000).toISOString(), ...nats(ctx)]);
  assert.is(future.code, 0);
  assert.is(future.stdout, "", "nothing since a time to come");

  const follow = spawnRbus(["events", "--follow", "--since", "1m", "--kind", "role", ...nats(ctx)]);
  try {
    await waitUntil("history printed", () => follow.output().includes('"term":7'));
    nc.publish(subj.events.role("broker-a"), encodeJson({ at: Date.now(), group: "broker-a", kind: "elected", term: 8 }));
    await waitUntil("the new event printed", () => follow.output().includes('"term":8'));
  } finally {
    await follow.kill();
  }
});

test("events without the stream: an error that says --follow hears new ones", async (ctx) => {
  const other = await runRbus(["events", "--prefix", "nostream", ...nats(ctx)]);
  assert.is(other.code, 1);
  assert.match(other.stderr, /no events stream NOSTREAM_EVENTS to read history from .*rbus events --follow hears new events/);
});

test.run();
