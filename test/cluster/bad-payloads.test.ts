// Garbage on the subjects clients listen to: `rbus consume` and
// `rbus inspect`, as separate processes, must drop it and go on working.
// Before, one `not json {` on rbus.events.consumers.<group> ended the
// consumer's NATS read loop while the process stayed up, silent.
import * as assert from "uvu/assert";
import { join } from "node:path";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { encodeJson, subjects } from "../../src/protocol/index.js";
import type { InspectEvent } from "../../src/runtime/inspect.js";
import { spawnRbus, type RbusProcess } from "../harness/processes.js";
import { processSuite } from "../harness/process-suite.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const GARBAGE = ["not json {", "", "null", "[]", "42", '"text"', '{"group":7}', '{"node":"x"}', '{"node":"x","actor":"a","machine":"m","status":"s","event":"e","at":1e300}', "\u0000\u00ff"];

const test = processSuite("clients survive malformed payloads", { jetstream: false });

/** The bodies of the JSON message lines a consume process printed. */
const consumed = (p: RbusProcess) =>
  p
    .output()
    .split("\n")
    .filter((l) => l.startsWith('{"msgId"'))
    .map((l) => (JSON.parse(l) as { body: string }).body);

test("rbus consume and rbus inspect keep working after garbage on their subjects", async (ctx) => {
  const url = ctx.server.url;
  const admin = new Admin(ctx.nc);
  ctx.procs.push(spawnRbus(["nameserver", "--nats", url, "--id", "ns-1", "--scan-interval", "200"]));
  ctx.procs.push(spawnRbus(["broker", "--nats", url, "--group", "broker-a", "--data", join(ctx.dir, "a"), "--heartbeat-interval", "500"]));
  await waitUntil("broker registered", async () => (await admin.nameServers()).some((n) => n.liveness.alive === 1));
  await admin.createTopic({ topic: "bad", queues: 2 });
  await waitUntil("route for the topic", () => admin.route("bad").then((r) => r.queues.length > 0));

  const producer = await new Producer(ctx.nc).start();
  const send = (prefix: string) => Promise.all(Array.from({ length: 5 }, (_, i) => producer.send({ topic: "bad", body: `${prefix}-${i}` })));
  await send("before");
  const consumer = spawnRbus(["consume", "--nats", url, "--topic", "bad", "--group", "bp", "--from", "first"]);
  const inspect = spawnRbus(["inspect", "--nats", url, "--json"]);
  ctx.procs.push(consumer, inspect);
  await waitUntil("the consumer read the first messages", () => consumed(consumer).length === 5, { timeoutMs: 15_000 });
  await waitUntil("inspect is watching", () => inspect.output().includes("watching"));

  for (const junk of GARBAGE) {
    ctx.nc.publish(subj.events.consumers("bp"), junk);
    ctx.nc.publish(subj.inspect("junk"), junk);
  }
  await ctx.nc.flush();

  await send("after");
  await waitUntil("the consumer read the messages sent after the garbage", () => consumed(consumer).length === 10, {
    timeoutMs: 15_000,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${consumer.output()}`);
  });
  assert.equal(consumed(consumer).sort(), [...["after", "before"].flatMap((p) => [0, 1, 2, 3, 4].map((i) => `${p}-${i}`))].sort());

  const probe: InspectEvent = { node: "probe", actor: "probe-actor", machine: "probe", state: "ok", status: "active", event: "PROBE", at: Date.now() };
  ctx.nc.publish(subj.inspect("probe"), encodeJson(probe));
  await waitUntil("inspect printed an event published after the garbage", () => inspect.output().includes('"actor":"probe-actor"')).catch((err: Error) => {
    throw new Error(`${err.message}\n${inspect.output()}`);
  });
  assert.is(consumer.proc.exitCode, null, "the consumer is still running");
  assert.is(inspect.proc.exitCode, null, "inspect is still running");
  assert.match(inspect.output(), /malformed message dropped/, "inspect says it dropped something");
  await producer.close();
});

test.run();
