// Losing slaves: with one of three killed the master keeps committing on 2
// of 3, and the slave, restarted, catches up; with two of three killed no
// send is acknowledged, and each fails with an error that says why
// (NOT_REPLICATED while the master waits for a majority, NOT_MASTER once it
// has stepped down).
import * as assert from "uvu/assert";
import { checkStored, firstProblems, startLoad } from "../harness/acked-load.js";
import { createTopic, failoverSuite, startProducer } from "../harness/failover-suite.js";
import { sendTo } from "../harness/replica-io.js";
import { waitUntil } from "../harness/wait.js";

const TOPIC = "slaves";
const QUEUES = 4;
const { test, it } = failoverSuite("failover: slaves killed", { electionTimeoutMs: 1000 });

it("one slave killed: the master commits on 2 of 3; the slave, restarted, catches up", async (ctx) => {
  const g = ctx.group;
  await createTopic(ctx, TOPIC, QUEUES);
  const m = await g.waitMaster();
  const slave = [0, 1, 2].find((i) => i !== m.replica)!;
  const load = startLoad(await startProducer(ctx), { topic: TOPIC, workers: 4, loads: ctx.loads });
  await waitUntil("200 sends acknowledged", () => load.acked.length >= 200, { timeoutMs: 20_000 });

  await g.kill(slave);
  const killedAt = Date.now();
  const commitAtKill = (await g.status(m.replica))!.commit;
  await waitUntil("300 sends acknowledged with one slave down", () => load.ackedSince(killedAt) >= 300, { timeoutMs: 20_000 });
  const during = (await g.status(m.replica))!;
  assert.is(during.role, "master", "the master stays master with 2 of 3");
  assert.is(during.term, m.term, "no election happened");
  assert.ok(during.commit > commitAtKill, `the commit offset moved on: ${commitAtKill} → ${during.commit}`);

  await g.restart(slave);
  await g.waitCaughtUp(slave);
  await load.stop();
  await g.waitInSync(slave);
  for (const i of [m.replica, slave]) {
    const check = await checkStored(ctx.nc, g.group, i, TOPIC, QUEUES, load.acked);
    assert.is(check.problems.length, 0, `on ${g.group}.${i}:\n${firstProblems(check.problems)}`);
  }
});

it("two of three killed: sends fail with NOT_REPLICATED or NOT_MASTER, none acknowledged", async (ctx) => {
  const g = ctx.group;
  await createTopic(ctx, TOPIC, QUEUES);
  const m = await g.waitMaster();
  assert.is((await sendTo(ctx.nc, g.group, m.replica, TOPIC, "before")).status, "SEND_OK", "the group takes sends with 3 of 3");
  await Promise.all([0, 1, 2].filter((i) => i !== m.replica).map((i) => g.kill(i)));

  const outcomes: string[] = [];
  const startedAt = Date.now();
  for (let n = 0; n < 8; n++) {
    outcomes.push(await sendTo(ctx.nc, g.group, m.replica, TOPIC, `alone-${n}`, { timeoutMs: 3000 }).then(
      (r) => r.status,
      (err: Error & { code?: string }) => err.code ?? err.message,
    ));
  }
  const clear = outcomes.filter((o) => o === "NOT_REPLICATED" || o === "NOT_MASTER");
  assert.not.ok(outcomes.includes("SEND_OK"), `a send was acknowledged with 1 of 3: ${outcomes.join(", ")}`);
  assert.is(clear.length, outcomes.length, `every send failed with NOT_REPLICATED or NOT_MASTER, not a timeout: ${outcomes.join(", ")}`);
  const s = await g.status(m.replica);
  assert.ok(s && s.role !== "master", `the lone master stepped down (lost its majority): ${JSON.stringify(s)}`);
  console.log(`    alone: ${outcomes.join(", ")} in ${Date.now() - startedAt} ms`);
});

test.run();
