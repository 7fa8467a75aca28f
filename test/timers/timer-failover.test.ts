// A 3-replica group (ack quorum) as separate processes holds 3 000 timer
// messages due over 10 s; its master is SIGKILLed while about half are
// delivered. The new master's timer service rebuilds from the replicated
// progress and its own log: every timer is in its real topic once, none
// before its time, on the new master and on the old one once it rejoins.
import * as assert from "uvu/assert";
import { createTopic, failoverSuite, startProducer } from "../harness/failover-suite.js";
import { waitUntil } from "../harness/wait.js";
import { checkTimers, percentile, readTopic, sendTimers, timerStatus } from "./timer-load.js";

const COUNT = Number(process.env.TIMER_COUNT ?? 3000);
const WINDOW_MS = Number(process.env.TIMER_WINDOW_MS ?? 10_000);
const TOPIC = "timed";
const QUEUES = 4;
const { test, it } = failoverSuite("timers: kill -9 the master of a 3-replica group", { electionTimeoutMs: 1000 });

it("the new master delivers the rest; each timer once, none early, on every replica", async (ctx) => {
  const g = ctx.group;
  await createTopic(ctx, TOPIC, QUEUES);
  const old = await g.waitMaster();
  const producer = await startProducer(ctx);
  const t0 = Date.now();
  const due = await sendTimers(producer, TOPIC, COUNT, 1500, WINDOW_MS, 32);
  const sentMs = Date.now() - t0;

  await waitUntil("about half delivered", async () => ((await timerStatus(ctx.nc, g.group, old.replica))?.delivered ?? 0) >= COUNT * 0.4, { timeoutMs: WINDOW_MS + 20_000, intervalMs: 20 });
  await g.kill(old.replica);
  const killedAt = Date.now();
  const fresh = await g.waitMaster({ not: [old.replica] });
  await waitUntil("the new master's timer service", async () => (await timerStatus(ctx.nc, g.group, fresh.replica))?.running, { timeoutMs: 15_000 });
  const takenOver = Date.now() - killedAt;

  const last = Math.max(...due.values());
  await waitUntil("every timer due and delivered", async () => Date.now() > last && (await timerStatus(ctx.nc, g.group, fresh.replica))?.pending === 0, { timeoutMs: WINDOW_MS + 30_000, intervalMs: 100 });
  const check = checkTimers(await readTopic(ctx.nc, g.group, fresh.replica, TOPIC, QUEUES), due);
  assert.is(check.problems.length, 0, `on the new master:\n${check.problems.slice(0, 20).join("\n")}`);
  assert.is(check.delivered, COUNT);

  await g.restart(old.replica);
  await g.waitInSync(old.replica);
  const onOld = checkTimers(await readTopic(ctx.nc, g.group, old.replica, TOPIC, QUEUES), due);
  assert.is(onOld.problems.length, 0, `on the old master, rejoined:\n${onOld.problems.slice(0, 20).join("\n")}`);
  const l = check.lateness;
  console.log(`    ${COUNT} timers sent in ${sentMs} ms; new master's timers running ${takenOver} ms after the kill; lateness p50 ${percentile(l, 0.5)} ms, p99 ${percentile(l, 0.99)} ms, worst ${l[l.length - 1]} ms (worst includes the failover)`);
});

test.run();
