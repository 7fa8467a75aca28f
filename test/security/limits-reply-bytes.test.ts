// Bytes of replies in flight: 200 held pulls and one 4 MiB send used to
// build 800 MB of replies in one turn of the broker's event loop (blocked
// 4.9 s). Now replies are built while what was built since the bus last
// confirmed stays under maxReplyBytesInFlight, pulls woken together share
// one encoding, and the broker answers status promptly throughout.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { decodeJson, encodeJson, type PullReply } from "../../src/protocol/index.js";
import { waitUntil } from "../harness/wait.js";
import { api, publishPull, startLimitsBroker, watchLatency, type LimitsBroker } from "./limits-broker.js";

const MiB = 1024 * 1024;
const PULLS = 200;
/** Slowest status answer allowed while the woken pulls are answered (before: seconds). */
const MAX_STATUS_MS = 1000;

const test = suite<{ lb: LimitsBroker }>("reply bytes in flight");
test.before.each(async (ctx) => {
  ctx.lb = await startLimitsBroker();
  assert.is((await ctx.lb.send("big", "first", 0)).status, "SEND_OK");
});
test.after.each(async ({ lb }) => lb.stop());

/** Holds PULLS pulls at offset 1 (replies to an inbox nobody reads), plus one real pull; sends 4 MiB; measures. */
async function wakeMany(lb: LimitsBroker, pullOf: (i: number) => Record<string, unknown>) {
  for (let i = 0; i < PULLS; i++) publishPull(lb.nc, `_INBOX.sink.${i}`, { topic: "big", offset: 1, waitMs: 15_000, ...pullOf(i) });
  const real = lb.nc.request(api("pull"), encodeJson({ group: "real", topic: "big", queueId: 0, offset: 1, max: 1, waitMs: 15_000 }), { timeout: 20_000 });
  await waitUntil("all pulls held", async () => (await lb.status()).pullsHeld === PULLS + 1);
  const watch = watchLatency(lb);
  const sent = await lb.send("big", Buffer.alloc(4 * MiB, 120), 0);
  assert.is(sent.status, "SEND_OK");
  const got = decodeJson((await real).data) as PullReply;
  await waitUntil("every held pull answered", async () => {
    const s = await lb.status();
    const flight = s.limits?.maxReplyBytesInFlight; // absent before limits existed
    return s.pullsHeld === 0 && (!flight || flight.used < flight.max);
  }, { timeoutMs: 15_000 });
  const worst = await watch.stop();
  console.log(`  ${PULLS} woken pulls of a 4 MiB message: slowest status ${worst.toFixed(0)} ms`);
  assert.is(got.status, "FOUND");
  assert.is(got.messages[0]!.queueOffset, 1);
  assert.ok(worst < MAX_STATUS_MS, `status took ${worst.toFixed(0)} ms while the woken pulls were answered (bound ${MAX_STATUS_MS})`);
  // still serving: a send and a pull
  const after = await lb.send("big", "after", 0);
  assert.is(after.status, "SEND_OK");
  const p = await lb.ask<PullReply>("pull", { group: "g2", topic: "big", queueId: 0, offset: after.queueOffset, max: 1 });
  assert.is(p.messages[0]!.body, "after");
  lb.assertAlive();
}

test("pulls asking the same thing, woken by one 4 MiB send, share one reply and status stays prompt", async ({ lb }) => {
  await wakeMany(lb, () => ({}));
});

test("pulls asking different things each build their own reply, paced, and status stays prompt", async ({ lb }) => {
  await wakeMany(lb, (i) => ({ max: 1 + (i % 32), group: `g${i}` }));
});

test.run();
