// rbus send --delay <level|duration> and --deliver-at <time>, against rbus
// nameserver and rbus broker --delay-levels run as processes: each message
// reaches its topic no earlier than asked; a level the broker lacks fails
// with exit code 1 and the broker's BAD_REQUEST.
import { join } from "node:path";
import * as assert from "uvu/assert";
import { Admin } from "../../src/client/admin.js";
import { processSuite } from "../harness/process-suite.js";
import { runRbus, spawnRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";
import { readTopic } from "./timer-load.js";

const GROUP = "broker-c";
const TOPIC = "cli-timed";
const test = processSuite("rbus send --delay / --deliver-at");

test("levels, durations and times from the command line", async (ctx) => {
  const url = ctx.server.url;
  ctx.procs.push(spawnRbus(["nameserver", "--nats", url, "--id", "ns-1"]));
  ctx.procs.push(spawnRbus(["broker", "--nats", url, "--broker-group", GROUP, "--data", join(ctx.dir, GROUP), "--heartbeat-interval", "1000",
    "--delay-levels", "300ms 600ms", "--timer-horizon", "1h"]));
  const admin = new Admin(ctx.nc);
  await waitUntil("the broker registered", async () => (await admin.cluster()).brokers.length === 1, { timeoutMs: 15_000 });
  await admin.createTopic({ topic: TOPIC, queues: 1 });
  await waitUntil(`route of ${TOPIC}`, async () => (await admin.route(TOPIC).catch(() => undefined))?.groups.length === 1);

  const send = (...args: string[]) => runRbus(["send", "--nats", url, "--topic", TOPIC, ...args]);
  const sentAt = Date.now();
  const at = sentAt + 1500;
  const results = await Promise.all([send("--delay", "2", "level-2"), send("--delay", "400ms", "in-400ms"), send("--deliver-at", new Date(at).toISOString(), "at")]);
  for (const r of results) assert.is(r.code, 0, r.stderr);
  const bad = await send("--delay", "3", "no-such-level");
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /delay level 3 does not exist/);
  const far = await send("--delay", "2h", "too-far");
  assert.is(far.code, 1);
  assert.match(far.stderr, /at most 1h ahead/);

  const got = await waitUntil("the three delayed messages", async () => {
    const m = await readTopic(ctx.nc, GROUP, 0, TOPIC, 1);
    return m.length >= 3 ? m : undefined;
  }, { timeoutMs: 10_000 });
  const by = new Map(got.map((m) => [m.body, m]));
  assert.equal([...by.keys()].sort(), ["at", "in-400ms", "level-2"]);
  assert.ok(by.get("level-2")!.storedAt - sentAt >= 600, "level 2 is 600 ms");
  assert.ok(by.get("in-400ms")!.storedAt - sentAt >= 400);
  assert.ok(by.get("at")!.storedAt >= at);
});

test.run();
