// A uvu suite whose every test gets a fresh replicated group of broker
// processes on its own nats-server (replica-group.ts). A test that fails
// keeps its folder, with every node's log under logs/, and says where.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { suite, type Test } from "./suite.js";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { subjects, type TopicConfig } from "../../src/protocol/index.js";
import { connectNats } from "../../src/runtime/nats.js";
import { requestJson } from "../../src/runtime/request.js";
import { startNatsServer, type NatsServer } from "./nats-server.js";
import type { Load } from "./acked-load.js";
import { ReplicaGroup, type ReplicaGroupOptions } from "./replica-group.js";
import { waitUntil } from "./wait.js";

export interface FailoverCtx {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  group: ReplicaGroup;
  /** Closed after the test when a test set it. */
  producer?: Producer;
  /** Loads started on the producer (startLoad's `loads`): stopped after the test, before the producer closes. */
  loads: Load[];
}

export type GroupSettings = Omit<ReplicaGroupOptions, "server" | "nc" | "dir">;

export function failoverSuite(name: string, settings: GroupSettings = {}) {
  const test: Test<FailoverCtx> = suite<FailoverCtx>(name);
  let failed = false;
  test.before.each(async (ctx) => {
    failed = false;
    ctx.server = await startNatsServer({ jetstream: false });
    ctx.nc = await connectNats(ctx.server.url, "failover-test");
    ctx.dir = mkdtempSync(join(tmpdir(), "rbus-failover-"));
    ctx.loads = [];
    ctx.group = await ReplicaGroup.start({ ...settings, server: ctx.server, nc: ctx.nc, dir: ctx.dir });
  });
  test.after.each(async (ctx) => {
    await Promise.all(ctx.loads.map((l) => l.stop()));
    await ctx.producer?.close().catch(() => undefined);
    ctx.producer = undefined;
    await ctx.group?.close();
    await ctx.nc.close();
    await ctx.server.stop();
    if (!failed && !process.env.KEEP) rmSync(ctx.dir, { recursive: true, force: true });
  });
  /** test(name, fn), and on failure: the logs saved, the folder kept and named, the replicas' last lines in the message. */
  const it = (title: string, fn: (ctx: FailoverCtx) => Promise<void>) =>
    test(title, async (ctx) => {
      try {
        await fn(ctx);
      } catch (err) {
        failed = true;
        const logs = ctx.group.saveLogs();
        if (err instanceof Error) err.message += `\n  logs and data kept in ${logs} and ${ctx.dir}\n${ctx.group.tail()}`;
        throw err;
      } finally {
        if (process.env.KEEP) ctx.group.saveLogs();
      }
    });
  return { test, it };
}

/** Creates a topic on the group's master and waits until the NameServers route it there. */
export async function createTopic(ctx: FailoverCtx, topic: string, queues: number): Promise<void> {
  const m = await ctx.group.waitMaster();
  const config: TopicConfig = { topic, readQueues: queues, writeQueues: queues, perm: "rw" };
  await requestJson(ctx.nc, subjects().broker(ctx.group.group, m.replica, "topic.upsert"), config);
  const admin = new Admin(ctx.nc);
  await waitUntil(`a route for ${topic}`, async () => {
    const r = await admin.route(topic);
    return r.queues.some((q) => q.group === ctx.group.group) && r.groups.some((g) => g.replicas.some((x) => x.role === "master"));
  }, { timeoutMs: 10_000, intervalMs: 100 });
}

/** A producer that keeps retrying across a failover: short attempts, a long budget. */
export async function startProducer(ctx: FailoverCtx): Promise<Producer> {
  ctx.producer = await new Producer(ctx.nc, { group: "failover-test", sendTimeoutMs: 1000, retryBudgetMs: 15_000, routeRefreshMs: 1000 }).start();
  return ctx.producer;
}
