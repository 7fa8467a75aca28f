// The producer's own reply inbox against a real nats-server: replies come
// back to the request that asked, under the connection's inbox prefix;
// no responder and no reply fail as nc.request fails (so the producer's
// retry rules see the same codes); close() lets what is in flight finish.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { ReplyInbox } from "../../src/client/producer-inbox.js";
import { ErrorCode, RbusError } from "../../src/protocol/index.js";
import { natsError } from "../../src/runtime/request.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { waitUntil } from "../harness/wait.js";

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
}
const test = suite<Ctx>("producer reply inbox");
const enc = new TextEncoder();
const dec = new TextDecoder();

test.before(async (ctx) => {
  ctx.server = await startNatsServer({ jetstream: false });
  ctx.nc = await connect({ servers: ctx.server.url, inboxPrefix: "_INBOX.alice" });
});

test.after(async (ctx) => {
  await ctx.nc?.close();
  await ctx.server?.stop();
});

test("each reply settles the request it answers, with the reply subject under the inbox prefix", async ({ nc }) => {
  const replyTo: string[] = [];
  const sub = nc.subscribe("echo", {
    callback: (_e, m) => {
      replyTo.push(m.reply ?? "");
      // answer out of order: the later request first
      const delay = dec.decode(m.data) === "first" ? 20 : 0;
      setTimeout(() => m.respond(enc.encode(`re:${dec.decode(m.data)}`)), delay);
    },
  });
  await nc.flush();
  const inbox = new ReplyInbox(nc);
  const [a, b] = await Promise.all([inbox.request("echo", enc.encode("first"), 2000), inbox.request("echo", enc.encode("second"), 2000)]);
  assert.is(dec.decode(a.data), "re:first");
  assert.is(dec.decode(b.data), "re:second");
  assert.ok(replyTo.every((r) => r.startsWith("_INBOX.alice.")), replyTo.join(" "));
  inbox.close();
  sub.unsubscribe();
});

test("no responder: NO_RESPONDERS at once; no reply: TIMEOUT after the request's time", async ({ nc }) => {
  const inbox = new ReplyInbox(nc);
  const none = await inbox.request("nobody.here", enc.encode("x"), 5000).catch((e: unknown) => natsError(e, "nobody.here"));
  assert.instance(none, RbusError);
  assert.is((none as RbusError).code, ErrorCode.NO_RESPONDERS);

  const sub = nc.subscribe("silent", { callback: () => undefined });
  await nc.flush();
  const t0 = Date.now();
  const late = await inbox.request("silent", enc.encode("x"), 150).catch((e: unknown) => natsError(e, "silent"));
  assert.is((late as RbusError).code, ErrorCode.TIMEOUT);
  assert.ok(Date.now() - t0 >= 140, `timed out after ${Date.now() - t0} ms`);
  inbox.close();
  sub.unsubscribe();
});

test("close() lets the requests in flight get their replies, then stops listening", async ({ nc }) => {
  const asked: Msg[] = [];
  const sub = nc.subscribe("slow", { callback: (_e, m) => void asked.push(m) });
  await nc.flush();
  const inbox = new ReplyInbox(nc);
  const pending = [inbox.request("slow", enc.encode("a"), 5000), inbox.request("slow", enc.encode("b"), 5000)];
  await waitUntil("both requests at the responder", () => asked.length === 2);
  inbox.close();
  for (const m of asked) m.respond(enc.encode(`re:${dec.decode(m.data)}`));
  assert.equal((await Promise.all(pending)).map((m) => dec.decode(m.data)), ["re:a", "re:b"]);
  // nothing waits now: the inbox's subscription is gone, so the server finds no one on its subject
  const gone = await nc.request(asked[0]!.reply!, enc.encode("anyone?"), { timeout: 2000 }).catch((e: unknown) => natsError(e, "inbox"));
  assert.is((gone as RbusError).code, ErrorCode.NO_RESPONDERS);
  sub.unsubscribe();
});

test.run();
