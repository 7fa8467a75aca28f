// Every rbus command that prints a table prints JSON instead with --json, for scripts.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runRbus } from "../harness/processes.js";
import { startConsumerCluster, type ConsumerCluster } from "../client/consumer-cluster.js";

interface Ctx {
  cluster: ConsumerCluster;
}
const test = suite<Ctx>("rbus --json");

test.before(async (ctx) => {
  ctx.cluster = await startConsumerCluster(["broker-a"]);
  const queues = await ctx.cluster.createTopic("orders", 2);
  await ctx.cluster.send("orders", queues, 4);
  const consumed = await runRbus(["consume", "--nats", ctx.cluster.server.url, "--topic", "orders", "--group", "billing", "--from", "first", "--count", "4"]);
  assert.is(consumed.code, 0, consumed.stderr);
});
test.after(async (ctx) => {
  await ctx.cluster.stop();
});

const json = async (args: string[]): Promise<unknown> => {
  const r = await runRbus([...args, "--json"]);
  assert.is(r.code, 0, `rbus ${args.join(" ")} --json: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
};

test("cluster, topic list, route, progress, metrics", async (ctx) => {
  const nats = ["--nats", ctx.cluster.server.url];
  const cluster = (await json(["cluster", ...nats])) as { replicas: Array<{ group: string }> };
  assert.equal(cluster.replicas.map((r) => r.group), ["broker-a"]);
  const topics = (await json(["topic", "list", ...nats])) as Array<{ topic: string }>;
  assert.ok(topics.some((t) => t.topic === "orders"));
  const route = (await json(["route", "orders", ...nats])) as { topic: string };
  assert.is(route.topic, "orders");
  const progress = (await json(["progress", "billing", "--topic", "orders", ...nats])) as { totalLag: number };
  assert.is(progress.totalLag, 0);
  const metrics = (await json(["metrics", ...nats])) as Array<{ node: string }>;
  assert.ok(metrics.some((m) => m.node === "broker-a-0" || m.node === "broker-a.0"), JSON.stringify(metrics.map((m) => m.node)));
});

test("tls init", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rbus-json-"));
  try {
    const tls = (await json(["tls", "init", "--out", join(dir, "tls")])) as { made: boolean; files: Record<string, string> };
    assert.is(tls.made, true);
    assert.ok(Object.keys(tls.files).includes("ca"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
