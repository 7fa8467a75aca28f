// The TCP proxy the failover tests cut a broker off NATS with: a client
// through it talks to the server; a reset cut drops its connection and
// refuses reconnects until healed; a hold cut leaves the connection open
// and moves no byte until healed, then lets the held bytes through.
import { suite } from "./suite.js";
import * as assert from "uvu/assert";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServer } from "./nats-server.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
import { waitUntil } from "./wait.js";

interface Ctx {
  server: NatsServer;
  proxy: TcpProxy;
  /** Connected straight to the server: the echo responder. */
  direct: NatsConnection;
  /** Connected through the proxy. */
  through: NatsConnection;
  statuses: string[];
}

const test = suite<Ctx>("tcp proxy");

test.before.each(async (ctx) => {
  ctx.server = await startNatsServer({ jetstream: false });
  ctx.proxy = await startTcpProxy({ port: ctx.server.port });
  ctx.direct = await connect({ servers: ctx.server.url });
  ctx.direct.subscribe("echo", { callback: (_err, m) => void m.respond(m.data) });
  await ctx.direct.flush();
  ctx.through = await connect({ servers: ctx.proxy.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
  ctx.statuses = [];
  void (async () => {
    for await (const s of ctx.through.status()) ctx.statuses.push(s.type);
  })();
});

test.after.each(async (ctx) => {
  ctx.proxy.heal();
  await ctx.through.close();
  await ctx.direct.close();
  await ctx.proxy.stop();
  await ctx.server.stop();
});

/** The error a promise rejects with, or undefined when it resolves. */
const failure = (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => err);
const echo = async (nc: NatsConnection, text: string, timeout = 1000) => new TextDecoder().decode((await nc.request("echo", text, { timeout })).data);

test("traffic flows through while there is no cut", async (ctx) => {
  assert.is(await echo(ctx.through, "one"), "one");
  assert.is(ctx.proxy.connections(), 1);
  assert.is(ctx.proxy.cutMode, undefined);
});

test("reset drops the connection at once and refuses reconnects until healed", async (ctx) => {
  await echo(ctx.through, "before");
  ctx.proxy.cut("reset");
  await waitUntil("the client saw its connection drop", () => ctx.statuses.includes("disconnect"));
  assert.is(ctx.proxy.connections(), 0);
  const acceptedAtCut = ctx.proxy.accepted();
  await waitUntil("the client tried to reconnect and was refused", () => ctx.proxy.accepted() > acceptedAtCut + 1);
  assert.is(ctx.proxy.connections(), 0, "no reconnect got through the cut");
  assert.ok(await failure(echo(ctx.through, "during", 300)), "no request gets through a reset");
  ctx.proxy.heal();
  await waitUntil("the client reconnected", () => ctx.statuses.includes("reconnect"));
  assert.is(await echo(ctx.through, "after"), "after");
});

test("hold keeps the connection open and moves nothing until healed, then delivers what it held", async (ctx) => {
  await echo(ctx.through, "before");
  ctx.proxy.cut("hold");
  const held = ctx.through.request("echo", "held", { timeout: 5000 });
  assert.ok(await failure(echo(ctx.through, "short", 300)), "a request with a short timeout gets no answer");
  assert.is(ctx.proxy.connections(), 1, "the connection is still open");
  assert.not.ok(ctx.statuses.includes("disconnect"), "the client did not notice the cut");
  ctx.proxy.heal();
  assert.is(new TextDecoder().decode((await held).data), "held", "the held request went through after the heal");
  assert.is(await echo(ctx.through, "after"), "after");
});

test.run();
