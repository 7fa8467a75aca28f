// rbus consume and rbus progress as separate processes against an in-process cluster.
import type { WireMessage } from "../../src/protocol/index.js";
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { runRbus, spawnRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";
import { startConsumerCluster, type ConsumerCluster } from "./consumer-cluster.js";

interface Ctx {
  cluster: ConsumerCluster;
}
const test = suite<Ctx>("rbus consume / progress");

test.before(async (ctx) => {
  ctx.cluster = await startConsumerCluster();
});
test.after(async (ctx) => {
  await ctx.cluster.stop();
});

type Line = Pick<WireMessage, "msgId" | "topic" | "queueId" | "queueOffset" | "tags" | "keys" | "body">;
const lines = (out: string) => out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);

test("consume --count prints N JSON lines, commits exactly them; progress shows the lag", async (ctx) => {
  const url = ctx.cluster.server.url;
  const queues = await ctx.cluster.createTopic("cli");
  await ctx.cluster.send("cli", queues, 30, { tag: () => "t1" });
  const first = await runRbus(["consume", "--nats", url, "--topic", "cli", "--group", "cg", "--count", "20", "--from", "first"]);
  assert.is(first.code, 0, first.stderr);
  const a = lines(first.stdout);
  assert.is(a.length, 20);
  assert.ok(a.every((m) => m.topic === "cli" && m.tags === "t1" && /^broker-[ab]:[0-9a-f]{16}$/.test(m.msgId) && typeof m.queueOffset === "number"));

  const progress = await runRbus(["progress", "cg", "--nats", url, "--topic", "cli", "--json"]);
  assert.is(progress.code, 0, progress.stderr);
  const p = JSON.parse(progress.stdout) as { totalLag: number; queues: Array<{ broker: string; lag: number }> };
  assert.is(p.totalLag, 10);
  assert.is(p.queues.length, 8);

  const second = await runRbus(["consume", "--nats", url, "--topic", "cli", "--group", "cg", "--count", "10"]);
  assert.is(second.code, 0, second.stderr);
  const b = lines(second.stdout);
  const all = [...a, ...b].map((m) => Number(m.body)).sort((x, y) => x - y);
  assert.equal(all, Array.from({ length: 30 }, (_, i) => i), "the second run continues where the first committed");

  const table = await runRbus(["progress", "cg", "--nats", url, "--topic", "cli"]);
  assert.is(table.code, 0, table.stderr);
  assert.match(table.stdout, /BROKER\s+QUEUE\s+BROKER OFFSET\s+CONSUMER OFFSET\s+LAG/);
  assert.match(table.stdout, /broker-a\s+0\s+\d+\s+\d+\s+0/);
  assert.match(table.stdout, /total lag: 0/);
});

test("consume --broadcast reads everything and leaves the broker's offsets alone", async (ctx) => {
  const url = ctx.cluster.server.url;
  const queues = await ctx.cluster.createTopic("clib");
  await ctx.cluster.send("clib", queues, 12);
  const run = () => runRbus(["consume", "--nats", url, "--topic", "clib", "--group", "cb", "--count", "12", "--from", "first", "--broadcast"]);
  const [x, y] = await Promise.all([run(), run()]);
  for (const r of [x, y]) {
    assert.is(r.code, 0, r.stderr);
    assert.is(lines(r.stdout).length, 12);
  }
  // the brokers know a broadcasting group by its members only: one stays while progress is asked
  const member = spawnRbus(["consume", "--nats", url, "--topic", "clib", "--group", "cb", "--broadcast"]);
  try {
    const p = await waitUntil("progress of cb answers", async () => {
      const r = await runRbus(["progress", "cb", "--nats", url, "--topic", "clib", "--json"]);
      return r.code === 0 && r;
    });
    assert.is((JSON.parse(p.stdout) as { totalLag: number }).totalLag, 12, "nothing committed on the broker");
  } finally {
    await member.kill();
  }
});

test("usage errors exit 2", async () => {
  const r = await runRbus(["consume", "--group", "g"]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--topic is required/);
  const p = await runRbus(["progress", "--topic", "t"]);
  assert.is(p.code, 2);
});

test.run();
