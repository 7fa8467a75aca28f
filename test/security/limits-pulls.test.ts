// Held long-poll pulls: 50,000 held pulls used to cost 95 MB with no cap.
// Past maxHeldPulls (per broker) or maxHeldPullsPerClient (per connection's
// reply inbox) a pull that would wait is answered at once with
// LIMIT_EXCEEDED; pulls that find messages, and everything else, go on.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect } from "@nats-io/transport-node";
import { decodeJson, encodeJson, type PullReply } from "../../src/protocol/index.js";
import { waitUntil } from "../harness/wait.js";
import { api, publishPull, startLimitsBroker, type LimitsBroker, type Reply } from "./limits-broker.js";

const test = suite<{ lb: LimitsBroker }>("held pull limits");
test.before.each(async (ctx) => {
  ctx.lb = await startLimitsBroker(["--max-held-pulls", "50", "--max-held-pulls-per-client", "20"]);
  assert.is((await ctx.lb.send("t", "m0", 0)).status, "SEND_OK");
});
test.after.each(async ({ lb }) => lb.stop());

const held = { group: "g", topic: "t", queueId: 0, offset: 1, max: 8, waitMs: 20_000 };

test("one client past maxHeldPullsPerClient is refused at once; others still hold", async ({ lb }) => {
  const nc = await connect({ servers: lb.server.url });
  try {
    const mine = Array.from({ length: 20 }, () => nc.request(api("pull"), encodeJson(held), { timeout: 25_000 }));
    await waitUntil("20 held", async () => (await lb.status()).pullsHeld === 20);
    const t = Date.now();
    const refused = decodeJson((await nc.request(api("pull"), encodeJson(held), { timeout: 5000 })).data) as Reply;
    assert.ok(Date.now() - t < 2000, "answered at once, not held");
    assert.is(refused.error?.code, "LIMIT_EXCEEDED");
    assert.is(refused.error?.details?.limit, "maxHeldPullsPerClient");
    assert.is(refused.error?.details?.max, 20);
    // another connection is another client
    const other = lb.nc.request(api("pull"), encodeJson(held), { timeout: 25_000 });
    await waitUntil("21 held", async () => (await lb.status()).pullsHeld === 21);
    const s = await lb.status();
    assert.equal(s.limits.maxHeldPullsPerClient, { max: 20, used: 20 });
    // a send wakes every held pull with the message
    assert.is((await lb.send("t", "m1", 0)).status, "SEND_OK");
    for (const r of [...(await Promise.all(mine)), await other]) assert.is((decodeJson(r.data) as PullReply).messages[0]?.body, "m1");
    lb.assertAlive();
  } finally {
    await nc.close();
  }
});

test("past maxHeldPulls a waiting pull is refused; pulls that find messages, sends and status go on", async ({ lb }) => {
  for (let i = 0; i < 50; i++) publishPull(lb.nc, `_INBOX.c${i % 5}.x.${i}`, held);
  await waitUntil("50 held", async () => (await lb.status()).pullsHeld === 50);
  const refused = await lb.ask("pull", held);
  assert.is(refused.error?.code, "LIMIT_EXCEEDED");
  assert.is(refused.error?.details?.limit, "maxHeldPulls");
  assert.is(refused.error?.details?.max, 50);
  const s = await lb.status();
  assert.equal(s.limits.maxHeldPulls, { max: 50, used: 50 });
  // a pull with messages to return needs no hold, waitMs or not
  const found = await lb.ask<PullReply>("pull", { ...held, offset: 0 });
  assert.is(found.messages[0]?.body, "m0");
  const sent = await lb.send("t", "m1", 1);
  assert.is(sent.status, "SEND_OK");
  const fresh = await lb.ask<PullReply>("pull", { ...held, queueId: 1, offset: 0, waitMs: 0 });
  assert.is(fresh.messages[0]?.body, "m1");
  lb.assertAlive();
});

test.run();
