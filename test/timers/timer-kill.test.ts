// 5 000 timer messages due at random times over 10 s, sent to a broker run
// as its own process; the broker is killed with SIGKILL while about half
// are delivered and started again on the same folder: every message is in
// its real topic once, none before its time. (make test-timers-long: 100 000 over a minute.)
import { join } from "node:path";
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { processSuite } from "../harness/process-suite.js";
import { spawnRbus, type RbusProcess } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";
import { checkTimers, percentile, readTopic, sendTimers, timerStatus } from "./timer-load.js";

const COUNT = Number(process.env.TIMER_COUNT ?? 5000);
const WINDOW_MS = Number(process.env.TIMER_WINDOW_MS ?? 10_000);
const GROUP = "broker-t";
const TOPIC = "timed";
const QUEUES = 4;

const test = processSuite("timers: kill -9 the broker while timers fall due");

test("every timer is delivered once and none early across a SIGKILL and a restart", async (ctx) => {
  const url = ctx.server.url;
  ctx.procs.push(spawnRbus(["nameserver", "--nats", url, "--id", "ns-1"]));
  const brokerArgs = ["broker", "--nats", url, "--broker-group", GROUP, "--data", join(ctx.dir, GROUP), "--heartbeat-interval", "1000"];
  let broker: RbusProcess = spawnRbus(brokerArgs);
  ctx.procs.push(broker);
  const admin = new Admin(ctx.nc);
  await waitUntil("the broker registered", async () => (await admin.cluster()).brokers.length === 1, { timeoutMs: 15_000 });
  await admin.createTopic({ topic: TOPIC, queues: QUEUES });
  await waitUntil(`route of ${TOPIC}`, async () => (await admin.route(TOPIC).catch(() => undefined))?.groups.length === 1);

  const producer = await new Producer(ctx.nc, { sendTimeoutMs: 3000 }).start();
  const t0 = Date.now();
  const due = await sendTimers(producer, TOPIC, COUNT, 1000, WINDOW_MS);
  await producer.close();
  const sentMs = Date.now() - t0;

  await waitUntil("about half delivered", async () => ((await timerStatus(ctx.nc, GROUP, 0))?.delivered ?? 0) >= COUNT * 0.4, { timeoutMs: WINDOW_MS + 20_000, intervalMs: 20 });
  await broker.kill("SIGKILL");
  const killedAt = Date.now();
  broker = spawnRbus(brokerArgs);
  ctx.procs.push(broker);
  await waitUntil("the restarted broker's timer service", async () => (await timerStatus(ctx.nc, GROUP, 0))?.running, { timeoutMs: 15_000 });
  const restartedAt = Date.now();

  const last = Math.max(...due.values());
  await waitUntil("every timer due and delivered", async () => Date.now() > last && (await timerStatus(ctx.nc, GROUP, 0))?.pending === 0, { timeoutMs: WINDOW_MS + 30_000, intervalMs: 100 });
  const check = checkTimers(await readTopic(ctx.nc, GROUP, 0, TOPIC, QUEUES), due);
  assert.is(check.problems.length, 0, check.problems.slice(0, 20).join("\n"));
  assert.is(check.delivered, COUNT);
  // lateness of the timers that fell due while the broker ran (not those due while it was down)
  const onTime = [...due.values()].length;
  const l = check.lateness;
  console.log(`    ${COUNT} timers sent in ${sentMs} ms; killed at +${killedAt - t0} ms, serving again ${restartedAt - killedAt} ms later; lateness p50 ${percentile(l, 0.5)} ms, p99 ${percentile(l, 0.99)} ms, worst ${l[l.length - 1]} ms (${onTime} timers, worst includes the downtime)`);
});

test.run();
