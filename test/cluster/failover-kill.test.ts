// kill -9 of a 3-replica group's master while a producer sends with quorum
// acks: another replica is master and takes sends within 2 s (election
// timeout 1 s), the producer carries on, every acknowledged message is
// readable byte for byte in queue order, and the old master, restarted,
// rejoins as a slave and catches up.
import * as assert from "uvu/assert";
import { checkStored, firstProblems, startLoad } from "../harness/acked-load.js";
import { createTopic, failoverSuite, startProducer } from "../harness/failover-suite.js";
import { sendTo } from "../harness/replica-io.js";
import { waitUntil } from "../harness/wait.js";

const TOPIC = "failover";
const QUEUES = 4;
const { test, it } = failoverSuite("failover: kill -9 the master", { electionTimeoutMs: 1000 });

it("a new master takes sends within 2 s, nothing acknowledged is lost, the old master rejoins and catches up", async (ctx) => {
  const g = ctx.group;
  await createTopic(ctx, TOPIC, QUEUES);
  const old = await g.waitMaster();
  const load = startLoad(await startProducer(ctx), { topic: TOPIC, workers: 4, loads: ctx.loads });
  await waitUntil("300 sends acknowledged before the kill", () => load.acked.length >= 300, { timeoutMs: 20_000 });

  const killedAt = Date.now();
  await g.kill(old.replica);
  // Probe the survivors straight, no client retries in the way: the first SEND_OK is the takeover.
  const survivors = [0, 1, 2].filter((i) => i !== old.replica);
  const taker = await waitUntil("a survivor acknowledges a send", async () => {
    for (const i of survivors) {
      const ok = await sendTo(ctx.nc, g.group, i, TOPIC, `probe-${i}-${Date.now()}`, { timeoutMs: 500 }).then((r) => r.status === "SEND_OK", () => false);
      if (ok) return { replica: i, at: Date.now() };
    }
    return undefined;
  }, { timeoutMs: 10_000, intervalMs: 20 });
  const takeoverMs = taker.at - killedAt;
  assert.ok(takeoverMs <= 2000, `replica ${taker.replica} took its first send ${takeoverMs} ms after the kill (limit 2000 ms)`);
  const fresh = await g.waitMaster({ not: [old.replica] });
  assert.is(fresh.replica, taker.replica, "the replica that took the probe is the group's master");
  assert.ok(fresh.term > old.term, `the new master's term ${fresh.term} is above the old ${old.term}`);

  await waitUntil("the producer carries on: 300 more acknowledgements", () => load.ackedSince(taker.at) >= 300, { timeoutMs: 20_000 });
  await load.stop();

  const check = await checkStored(ctx.nc, g.group, fresh.replica, TOPIC, QUEUES, load.acked);
  assert.is(check.problems.length, 0, `on the new master:\n${firstProblems(check.problems)}`);
  assert.ok(check.stored >= load.acked.length, `${check.stored} stored, ${load.acked.length} acknowledged`);

  await g.restart(old.replica);
  await waitUntil(`${old.replica} follows the new master as a slave`, async () => {
    const s = await g.status(old.replica);
    return s?.role === "slave" && s.master === fresh.replica && s.term >= fresh.term;
  });
  await g.waitInSync(old.replica); // its log end and commit equal the master's
  const truncated = g.roleEvents.filter((e) => e.type === "truncated" && e.replica === old.replica);
  for (const t of truncated) if (t.type === "truncated") assert.ok(t.to <= t.from, `a truncation goes backwards: ${JSON.stringify(t)}`);
  const onOld = await checkStored(ctx.nc, g.group, old.replica, TOPIC, QUEUES, load.acked);
  assert.is(onOld.problems.length, 0, `on the restarted old master:\n${firstProblems(onOld.problems)}`);
  assert.is(onOld.stored, check.stored, "the old master serves the same messages as the master");
  console.log(`    takeover ${takeoverMs} ms; acknowledged ${load.acked.length}; failed sends ${JSON.stringify([...load.failures])}; old master truncated ${truncated.length}×`);
});

test.run();
