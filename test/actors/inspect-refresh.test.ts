// Clients answer no rbus.machines, so a client's inspector says its actors'
// current events again now and then (`refresh`): a reader that starts late
// still sees every consumer, with its group and the queues it owns.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { NatsConnection } from "@nats-io/transport-node";
import { createActor, createMachine } from "xstate";
import { PullConsumer } from "../../src/client/pull-consumer.js";
import { MAX_INSPECT_QUEUES, rebalanceSummary } from "../../src/client/consumer-group.js";
import { decodeJson, encodeJson, subjects } from "../../src/protocol/index.js";
import { isInspectEvent, natsInspector, type InspectEvent } from "../../src/runtime/inspect.js";
import { spawnRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";
import { startConsumerCluster, type ConsumerCluster } from "../client/consumer-cluster.js";

const subj = subjects();

/** A connection that only records what is published on it. */
function recordingNc(): { nc: NatsConnection; published: InspectEvent[] } {
  const published: InspectEvent[] = [];
  const nc = { publish: (_: string, data: Uint8Array) => void published.push(isInspectEvent(decodeJson(data))) } as unknown as NatsConnection;
  return { nc, published };
}

/** Timers moved by hand: `fire()` runs what is due, whatever its delay. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    set: (fn: () => void, _ms: number) => (pending.set(++next, fn), next),
    clear: (h: unknown) => void pending.delete(h as number),
    pending: () => pending.size,
    fire() {
      const due = [...pending.values()];
      pending.clear();
      for (const fn of due) fn();
    },
  };
}

const toggle = createMachine({ id: "toggle", initial: "off", states: { off: { on: { FLIP: "on" } }, on: { on: { FLIP: "off" } } } });

const unit = suite("a client inspector's refresh, timers by hand");

unit("repeats each live actor's current event marked refresh, stops with the actor and on close", () => {
  const { nc, published } = recordingNc();
  const timers = manualTimers();
  const inspector = natsInspector(nc, "client-1", undefined, { refreshMs: 10_000, timers, mode: "nats" });
  const actor = createActor(toggle, { id: "toggle-1", inspect: inspector.observer }).start();
  assert.equal(published.map((e) => [e.state, e.refresh]), [["off", undefined]]);
  timers.fire();
  assert.equal(published.map((e) => [e.state, e.refresh]), [["off", undefined], ["off", true]]);
  assert.is(published[1]!.at, published[0]!.at, "a refresh keeps the time of the change");
  actor.send({ type: "FLIP" });
  timers.fire();
  assert.equal(published.slice(2).map((e) => [e.state, e.event, e.refresh]), [["on", "FLIP", undefined], ["on", "FLIP", true]]);
  assert.equal(inspector.current().map((e) => e.state), ["on"]);
  actor.stop();
  assert.is(published.at(-1)!.status, "stopped");
  assert.equal(inspector.current(), [], "a stopped actor is dropped");
  const count = published.length;
  timers.fire();
  assert.is(published.length, count, "nothing left to repeat");
  assert.is(timers.pending(), 1, "still armed until closed");
  inspector.close();
  assert.is(timers.pending(), 0);
});

unit("a consumer's context: its group, its first 64 queues as topic@group#queue, and how many it owns", () => {
  const owned = Array.from({ length: 70 }, (_, i) => ({ topic: "orders", group: i < 35 ? "broker-a" : "broker-b", queueId: i % 35 }));
  const summary = rebalanceSummary("billing")("rebalance", { owned })!;
  assert.is(summary.consumerGroup, "billing");
  assert.is(summary.queueCount, 70);
  const queues = summary.queues as string[];
  assert.is(queues.length, MAX_INSPECT_QUEUES);
  assert.is(queues[0], "orders@broker-a#0");
  assert.is(queues[40], "orders@broker-b#5");
  assert.is(rebalanceSummary("billing")("role", {}), undefined, "other machines carry none");
});

unit.run();

const live = suite<{ cluster: ConsumerCluster }>("a late reader of rbus.inspect sees a consumer");

live.before(async (ctx) => {
  ctx.cluster = await startConsumerCluster(["broker-a"]);
});
live.after(async (ctx) => {
  await ctx.cluster.stop();
});

live("within the refresh interval, with the queues it owns", async (ctx) => {
  const queues = await ctx.cluster.createTopic("late-reader", 4);
  const consumer = new PullConsumer(ctx.cluster.nc, { group: "late", clientId: "late-client-1", heartbeatMs: 300, rebalanceMs: 2000, retryMs: 50, inspectRefreshMs: 200 });
  consumer.subscribe("late-reader");
  await consumer.start();
  await waitUntil("the consumer owns every queue", () => consumer.assignment().length === queues.length);
  // subscribes only now: the changes themselves went by unheard
  const seen: InspectEvent[] = [];
  const sub = ctx.cluster.nc.subscribe(subj.inspect("late-client-1"), { callback: (_, m) => void seen.push(isInspectEvent(decodeJson(m.data))) });
  try {
    const t0 = Date.now();
    const e = await waitUntil("a refresh of the rebalance actor", () => seen.find((x) => x.refresh && x.actor === "rebalance"), { timeoutMs: 3000 });
    assert.ok(Date.now() - t0 < 1500, `seen after ${Date.now() - t0} ms`);
    assert.is(e.node, "late-client-1");
    assert.is(e.machine, "rebalance");
    const balance = (e.state as { running?: { balance?: string } }).running?.balance;
    assert.ok(balance === "balanced" || balance === "refreshing", JSON.stringify(e.state));
    assert.equal(e.context, {
      consumerGroup: "late",
      queues: queues.map((q) => `${q.topic}@${q.group}#${q.queueId}`).sort(),
      queueCount: 4,
    });
  } finally {
    sub.unsubscribe();
    await consumer.close();
  }
});

live("rbus inspect leaves refreshes out unless --refresh", async (ctx) => {
  const url = ctx.cluster.server.url;
  const plain = spawnRbus(["inspect", "--nats", url, "--json"]);
  const all = spawnRbus(["inspect", "--nats", url, "--json", "--refresh"]);
  try {
    await waitUntil("both are watching", () => plain.output().includes("watching") && all.output().includes("watching"));
    const change: InspectEvent = { node: "cli-probe", actor: "rebalance", machine: "rebalance", state: "x", status: "active", event: "GO", at: Date.now() };
    ctx.cluster.nc.publish(subj.inspect("cli-probe"), encodeJson({ ...change, actor: "repeated", refresh: true }));
    ctx.cluster.nc.publish(subj.inspect("cli-probe"), encodeJson(change));
    // each prints in arrival order: once the change is out, the refresh before it was dropped or printed
    await waitUntil("both printed the change", () => plain.output().includes('"actor":"rebalance"') && all.output().includes('"actor":"rebalance"'));
    assert.not.match(plain.output(), /"actor":"repeated"/);
    assert.match(all.output(), /"actor":"repeated".*"refresh":true/);
  } finally {
    await plain.kill();
    await all.kill();
  }
});

live.run();
