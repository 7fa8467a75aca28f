// SIGSTOP of the master past its election timeout, then SIGCONT: the others
// elect a new master meanwhile; the old one, resumed, steps down; no two
// replicas are ever master in the same term (statuses sampled all along,
// and the role events); nothing acknowledged is lost.
import * as assert from "uvu/assert";
import { checkStored, firstProblems, startLoad } from "../harness/acked-load.js";
import { createTopic, failoverSuite, startProducer } from "../harness/failover-suite.js";
import { watchRoles } from "../harness/role-watch.js";
import { waitUntil } from "../harness/wait.js";

const TOPIC = "paused";
const QUEUES = 4;
const ELECTION_MS = 1000;
const { test, it } = failoverSuite("failover: SIGSTOP the master, then SIGCONT", { electionTimeoutMs: ELECTION_MS });

it("the paused master steps down when resumed, one master per term, nothing acknowledged lost", async (ctx) => {
  const g = ctx.group;
  await createTopic(ctx, TOPIC, QUEUES);
  const watch = watchRoles(g);
  const old = await g.waitMaster();
  const load = startLoad(await startProducer(ctx), { topic: TOPIC, workers: 4, loads: ctx.loads });
  await waitUntil("200 sends acknowledged before the pause", () => load.acked.length >= 200, { timeoutMs: 20_000 });

  g.pause(old.replica);
  const pausedAt = Date.now();
  const fresh = await g.waitMaster({ not: [old.replica], minTerm: old.term + 1 });
  // Held well past the election timeout (the randomized timeout is below 2×): the schedule of the fault, not a wait for state.
  await new Promise((r) => setTimeout(r, Math.max(0, pausedAt + 3 * ELECTION_MS - Date.now())));
  await waitUntil("the producer carries on while the old master is paused", () => load.ackedSince(pausedAt) >= 100, { timeoutMs: 15_000 });
  g.resume(old.replica);
  const resumedAt = Date.now();

  const stepped = await waitUntil(`replica ${old.replica} steps down after SIGCONT`, async () => {
    const s = await g.status(old.replica);
    return s && s.role !== "master" && s.term >= fresh.term ? s : undefined;
  });
  assert.is(stepped.role, "slave");
  await waitUntil("100 more acknowledgements after the resume", () => load.ackedSince(resumedAt) >= 100, { timeoutMs: 15_000 });
  await load.stop();
  await g.waitInSync(old.replica);
  await watch.stop();

  const conflicts = watch.conflicts();
  assert.is(conflicts.size, 0, `two masters in one term: ${JSON.stringify([...conflicts])}`);
  for (const i of [0, 1, 2]) assert.ok(watch.samples(i) >= 10, `replica ${i}'s status was sampled throughout (${watch.samples(i)} times)`);
  assert.equal(watch.mastersIn(old.term), [old.replica]);
  assert.equal(watch.mastersIn(fresh.term), [fresh.replica]);
  const master = await g.waitMaster();
  const check = await checkStored(ctx.nc, g.group, master.replica, TOPIC, QUEUES, load.acked);
  assert.is(check.problems.length, 0, `on the master:\n${firstProblems(check.problems)}`);
  const onOld = await checkStored(ctx.nc, g.group, old.replica, TOPIC, QUEUES, load.acked);
  assert.is(onOld.problems.length, 0, `on the resumed old master:\n${firstProblems(onOld.problems)}`);
  console.log(`    acknowledged ${load.acked.length}; failed sends ${JSON.stringify([...load.failures])}; terms ${old.term} → ${fresh.term}`);
});

test.run();
