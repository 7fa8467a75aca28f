// The master cut off NATS while it keeps running (a TCP proxy between it
// and nats-server): within its election timeout it steps down and stops
// acknowledging, the others elect a new master, and when the cut heals it
// rejoins as a slave with its uncommitted tail gone (its log ends where the
// new master's does). Two cuts: connections reset (the broker knows it is
// disconnected) and connections held (nobody notices; requests to it get
// no answer, and its answers arrive only after the heal).
import * as assert from "uvu/assert";
import type { CutMode } from "../harness/tcp-proxy.js";
import { checkStored, firstProblems, startLoad } from "../harness/acked-load.js";
import { createTopic, failoverSuite, startProducer, type FailoverCtx } from "../harness/failover-suite.js";
import { bodyOf, pullQueue, sendTo } from "../harness/replica-io.js";
import { waitUntil } from "../harness/wait.js";

const TOPIC = "partition";
const QUEUES = 4;
const ELECTION_MS = 1000;
/** check-quorum runs every base timeout: a master cut just after a check sees its followers gone at the second one. */
const STEP_DOWN_LIMIT_MS = 2 * ELECTION_MS + 500;
const { test, it } = failoverSuite("failover: the master cut off NATS", { electionTimeoutMs: ELECTION_MS, proxied: [0, 1, 2] });

interface DirectReply {
  body: string;
  ok: boolean;
  outcome: string;
}

async function cutTheMaster(ctx: FailoverCtx, mode: CutMode): Promise<void> {
  const g = ctx.group;
  await createTopic(ctx, TOPIC, QUEUES);
  const old = await g.waitMaster();
  const load = startLoad(await startProducer(ctx), { topic: TOPIC, workers: 4, loads: ctx.loads });
  await waitUntil("200 sends acknowledged before the cut", () => load.acked.length >= 200, { timeoutMs: 20_000 });

  // Sends straight to the old master with a long timeout, across the cut: whatever it answers, even after the heal, is seen.
  const direct: Array<Promise<DirectReply>> = [];
  let sending = true;
  const directLoop = (async () => {
    for (let n = 0; sending && n < 200; n++) {
      const body = `direct-${mode}-${n}`;
      direct.push(sendTo(ctx.nc, g.group, old.replica, TOPIC, body, { timeoutMs: 15_000 }).then(
        (r) => ({ body, ok: r.status === "SEND_OK", outcome: r.status }),
        (err: Error & { code?: string }) => ({ body, ok: false, outcome: err.code ?? err.message }),
      ));
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  await new Promise((r) => setTimeout(r, 200));

  const cutAt = Date.now();
  g.proxy(old.replica).cut(mode);
  const probe = await sendTo(ctx.nc, g.group, old.replica, TOPIC, "probe", { timeoutMs: 500 }).then(() => "answered", (e: Error & { code?: string }) => e.code);
  assert.ok(probe === "TIMEOUT" || probe === "NO_RESPONDERS", `a send to the cut-off master fails or times out (got ${probe})`);
  const fresh = await g.waitMaster({ not: [old.replica], minTerm: old.term + 1 });
  // The cut lasts well past the election timeout: the fault's schedule, not a wait for state.
  await new Promise((r) => setTimeout(r, Math.max(0, cutAt + 3 * ELECTION_MS - Date.now())));
  sending = false;
  await directLoop;
  g.proxy(old.replica).heal();

  // Its own log says when it stepped down: a role event published while it was cut off may never arrive.
  const steppedDown = await waitUntil(`replica ${old.replica} logs its step-down`, () =>
    g.roleChanges(old.replica).find((c) => c.role !== "master" && c.at >= cutAt), { timeoutMs: 10_000 });
  assert.ok(steppedDown.at - cutAt <= STEP_DOWN_LIMIT_MS, `stepped down ${steppedDown.at - cutAt} ms after the cut (${JSON.stringify(steppedDown)})`);
  assert.is(steppedDown.reason, "lost-quorum", "it stepped down on its own, not when it heard of the new term");
  await waitUntil(`replica ${old.replica} rejoins as a slave`, async () => {
    const s = await g.status(old.replica);
    return s?.role === "slave" && s.term >= fresh.term && s.master !== null && s.master !== old.replica;
  });

  const replies = await Promise.all(direct);
  await load.stop();
  const master = await g.waitMaster();
  await g.waitInSync(old.replica); // its log end and commit equal the master's: the uncommitted tail is gone

  const check = await checkStored(ctx.nc, g.group, master.replica, TOPIC, QUEUES, load.acked);
  assert.is(check.problems.length, 0, `on the master:\n${firstProblems(check.problems)}`);
  const onOld = await checkStored(ctx.nc, g.group, old.replica, TOPIC, QUEUES, load.acked);
  assert.is(onOld.problems.length, 0, `on the healed old master:\n${firstProblems(onOld.problems)}`);
  assert.is(onOld.stored, check.stored, "the healed old master serves what the master serves");
  // Every SEND_OK the old master gave, even one that arrived after the heal, is in the group's log.
  const stored = new Set<string>();
  for (let q = 0; q < QUEUES; q++) {
    for (const m of await pullQueue(ctx.nc, g.group, master.replica, { topic: TOPIC, queueId: q })) stored.add(bodyOf(m).toString());
  }
  const okAfterCut = replies.filter((r) => r.ok && !stored.has(r.body));
  assert.is(okAfterCut.length, 0, `the old master acknowledged sends the group does not hold: ${okAfterCut.map((r) => r.body).join(", ")}`);
  const truncated = g.roleEvents.filter((e) => e.type === "truncated" && e.replica === old.replica);
  const outcomes = new Map<string, number>();
  for (const r of replies) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
  console.log(`    ${mode}: stepped down after ${steppedDown.at - cutAt} ms (${steppedDown.reason}); truncations ${JSON.stringify(truncated.map((t) => t.type === "truncated" && [t.from, t.to]))}; direct sends ${JSON.stringify([...outcomes])}`);
}

it("connections reset: it steps down, the others elect, healed it rejoins as a slave", (ctx) => cutTheMaster(ctx, "reset"));
it("connections held: it steps down, the others elect, healed it rejoins as a slave", (ctx) => cutTheMaster(ctx, "hold"));

test.run();
