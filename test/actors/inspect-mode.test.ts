// RBUS_INSPECT: off publishes nothing on rbus.inspect.> from nodes or
// consumers; stately also sends every actor to Stately's inspector over a
// websocket (a relay this test runs stands in for Stately's); anything else
// is refused, naming the values allowed.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNameServer } from "../../actors/nameserver.js";
import { startBroker } from "../../actors/broker.js";
import { PullConsumer } from "../../src/client/pull-consumer.js";
import { decodeJson, subjects } from "../../src/protocol/index.js";
import { natsInspector, type MachinesNow } from "../../src/runtime/inspect.js";
import { DEFAULT_STATELY_URL, inspectMode, statelyUrl } from "../../src/runtime/inspect-mode.js";
import { stopStately } from "../../src/runtime/inspect-stately.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { requestJson } from "../../src/runtime/request.js";
import { runRbus, spawnRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();

/** Runs `fn` with RBUS_INSPECT (and friends) set as given, as a process started so would have them. */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const values = suite("RBUS_INSPECT's values");

values("unset or nats: today's behaviour; off and stately as named; anything else names the allowed ones", async () => {
  assert.is(inspectMode({}), "nats");
  assert.is(inspectMode({ RBUS_INSPECT: "" }), "nats");
  assert.is(inspectMode({ RBUS_INSPECT: "nats" }), "nats");
  assert.is(inspectMode({ RBUS_INSPECT: "off" }), "off");
  assert.is(inspectMode({ RBUS_INSPECT: "stately" }), "stately");
  assert.throws(() => inspectMode({ RBUS_INSPECT: "Off" }), /RBUS_INSPECT="Off" is not a mode: use one of off, nats, stately/);
  assert.equal(statelyUrl({}), { url: DEFAULT_STATELY_URL, fromEnv: false });
  assert.equal(statelyUrl({ RBUS_INSPECT_URL: "ws://127.0.0.1:9" }), { url: "ws://127.0.0.1:9", fromEnv: true });
  await withEnv({ RBUS_INSPECT: "verbose" }, async () => {
    assert.throws(() => natsInspector({} as NatsConnection, "ns-1"), /use one of off, nats, stately/);
  });
});

values.run();

const off = suite<{ server: NatsServer; nc: NatsConnection; dir: string }>("RBUS_INSPECT=off");

off.before(async (ctx) => {
  ctx.server = await startNatsServer({ jetstream: false });
  ctx.nc = await connect({ servers: ctx.server.url });
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-inspect-off-"));
});
off.after(async (ctx) => {
  await ctx.nc.close();
  await ctx.server.stop();
  rmSync(ctx.dir, { recursive: true, force: true });
});

off("a NameServer, a broker and a consumer publish nothing on rbus.inspect.>; servers answer no actors", async (ctx) => {
  const seen: string[] = [];
  ctx.nc.subscribe(subj.inspectAll, { callback: (_, m) => void seen.push(m.subject) });
  await ctx.nc.flush();
  await withEnv({ RBUS_INSPECT: "off" }, async () => {
    const ns = await startNameServer({ nc: ctx.nc, id: "ns-1", timings: { scanIntervalMs: 20 } });
    const broker = await startBroker({ nc: ctx.nc, group: "broker-a", replica: 0, dataDir: ctx.dir, heartbeatIntervalMs: 200 });
    const consumer = new PullConsumer(ctx.nc, { group: "quiet", clientId: "quiet-1", heartbeatMs: 200, retryMs: 50, inspectRefreshMs: 50 });
    try {
      await waitUntil("the broker registered", () => broker.registration.getSnapshot().value === "registered");
      await requestJson(ctx.nc, subj.broker("broker-a", 0, "topic.upsert"), { topic: "quiet-topic", readQueues: 2, writeQueues: 2, perm: "rw" });
      await waitUntil("the topic is routed", () => requestJson(ctx.nc, subj.ns.route, { topic: "quiet-topic" }).then(() => true, () => false));
      consumer.subscribe("quiet-topic");
      await consumer.start();
      await waitUntil("the consumer owns queues", () => consumer.assignment().length > 0);
      for (const node of ["ns-1", "broker-a-0"]) {
        const now = decodeJson((await ctx.nc.request(subj.machines(node), "{}", { timeout: 2000 })).data) as MachinesNow;
        assert.equal([now.node, now.actors, now.off], [node, [], true]);
      }
      // the same connection carried everything the nodes published: all of it has arrived by now
      await ctx.nc.flush();
      assert.equal(seen, []);
    } finally {
      await consumer.close();
      await broker.stop();
      await ns.stop();
    }
  });
});

off("a node started with an unknown value stops at once with that error", async (ctx) => {
  const r = await runRbus(["nameserver", "--nats", ctx.server.url, "--id", "ns-x"], 20_000, { RBUS_INSPECT: "loud" });
  assert.is(r.code, 1);
  assert.match(r.stderr, /RBUS_INSPECT="loud" is not a mode: use one of off, nats, stately/);
});

off.run();

/** The few calls of the `ws` package (a dependency of @statelyai/inspect) a relay needs. */
interface WsServer {
  on(event: "connection", fn: (socket: { on(event: "message", fn: (data: Buffer) => void): void }) => void): void;
  on(event: "listening", fn: () => void): void;
  address(): AddressInfo;
  clients: Set<{ terminate(): void }>;
  close(fn?: () => void): void;
}
interface WsClient {
  on(event: "open", fn: () => void): void;
  on(event: "message", fn: (data: Buffer) => void): void;
  close(): void;
}
const ws = createRequire(import.meta.url)("ws") as {
  WebSocketServer: new (o: { port: number; host: string }) => WsServer;
  WebSocket: new (url: string) => WsClient;
};
const { WebSocketServer } = ws;

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

const stately = suite<{ server: NatsServer; nc: NatsConnection }>("RBUS_INSPECT=stately");

stately.before(async (ctx) => {
  ctx.server = await startNatsServer({ jetstream: false });
  ctx.nc = await connect({ servers: ctx.server.url });
});
stately.after(async (ctx) => {
  stopStately();
  await ctx.nc.close();
  await ctx.server.stop();
});

stately("a NameServer's actors reach Stately's inspector over the websocket, and rbus.inspect still carries them", async (ctx) => {
  const relay = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((r) => relay.on("listening", r));
  const received: Array<{ type: string; name?: string; definition?: string; snapshot?: { value?: unknown } }> = [];
  relay.on("connection", (socket) => socket.on("message", (data) => void received.push(JSON.parse(data.toString()))));
  const url = `ws://127.0.0.1:${relay.address().port}`;
  const nats: string[] = [];
  ctx.nc.subscribe(subj.inspect("ns-stately"), { callback: (_, m) => void nats.push(m.subject) });
  await ctx.nc.flush();
  const said: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (said.push(String(chunk)), true)) as typeof process.stderr.write;
  let ns: Awaited<ReturnType<typeof startNameServer>> | undefined;
  try {
    ns = await withEnv({ RBUS_INSPECT: "stately", RBUS_INSPECT_URL: url }, () => startNameServer({ nc: ctx.nc, id: "ns-stately" }));
  } finally {
    process.stderr.write = write;
  }
  try {
    assert.ok(said.some((l) => l.includes(`Stately's inspector relay at ${url}`)), said.join(""));
    // the actor with its machine's definition (what Stately draws), then its snapshots
    await waitUntil("the relay got the NameServer actor and its serving state", () =>
      received.some((e) => e.type === "@xstate.actor" && typeof e.definition === "string" && e.definition.includes('"serving"')) &&
      received.some((e) => e.type === "@xstate.snapshot" && e.snapshot?.value === "serving"),
    ).catch((err: Error) => {
      throw new Error(`${err.message}; received: ${JSON.stringify(received.map((e) => [e.type, e.name, e.snapshot?.value]))}`);
    });
    await waitUntil("rbus.inspect has it too", () => nats.length > 0);
  } finally {
    await ns.stop();
    stopStately();
    for (const c of relay.clients) c.terminate();
    await new Promise<void>((r) => relay.close(() => r()));
  }
});

stately("through `rbus inspect --stately`: the relay passes a NameServer's actors on to the page's websocket", async (ctx) => {
  const port = await freePort();
  const relay = spawnRbus(["inspect", "--stately", "--port", String(port)]);
  let page: WsClient | undefined;
  let ns: Awaited<ReturnType<typeof startNameServer>> | undefined;
  try {
    await waitUntil("the relay listens", () => relay.output().includes(`relay on ws://localhost:${port}`));
    const received: Array<{ type: string; snapshot?: { value?: unknown } }> = [];
    // the page Stately's inspector runs in reads the relay as another websocket client
    page = await waitUntil("the page connected", () => new Promise<WsClient | false>((resolve) => {
      const c = new ws.WebSocket(`ws://127.0.0.1:${port}`);
      c.on("open", () => resolve(c));
      (c as unknown as { on(e: "error", f: () => void): void }).on("error", () => resolve(false));
    }));
    page.on("message", (data) => void received.push(JSON.parse(data.toString())));
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      ns = await withEnv({ RBUS_INSPECT: "stately", RBUS_INSPECT_URL: `ws://127.0.0.1:${port}` }, () => startNameServer({ nc: ctx.nc, id: "ns-relayed" }));
    } finally {
      process.stderr.write = write;
    }
    await waitUntil("the page got the serving state", () => received.some((e) => e.type === "@xstate.snapshot" && e.snapshot?.value === "serving"));
  } finally {
    await ns?.stop();
    stopStately();
    page?.close();
    await relay.kill();
  }
});

stately.run();
