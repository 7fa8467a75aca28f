// A NameServer's liveness figures in rbus.metrics and /metrics: a replica
// that stops heartbeating turns suspect then dead; the NameServer counts
// each transition once and its brokers-per-liveness gauge follows.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { decodeJson, subjects } from "../../src/protocol/index.js";
import type { NameServerMetrics } from "../../src/protocol/metrics.js";
import { collectMetrics } from "../../src/metrics/collect.js";
import { renderPrometheus } from "../../src/metrics/prometheus.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";
import { parsePrometheus, sample } from "./prometheus-text.js";

const subj = subjects();
const test = suite<{ c: TestCluster }>("rbus.metrics: a NameServer's liveness transitions");
test.before(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a"], {
    nameServer: { scanIntervalMs: 50, suspectAfterMs: 300, deadAfterMs: 600, forgetAfterMs: 60_000 },
    broker: { heartbeatIntervalMs: 100 },
  });
});
test.after(async (ctx) => {
  await ctx.c.stop();
});

test("a silent replica: alive→suspect→dead counted once each, and the gauge moves to dead", async ({ c }) => {
  const ask = async () => decodeJson((await c.nc.request(subj.metrics("ns-test"), "{}", { timeout: 2000 })).data) as NameServerMetrics;
  assert.equal((await ask()).brokers, { alive: 1, suspect: 0, dead: 0 });
  c.brokers[0]!.registration.stop(); // heartbeats stop; the replica does not unregister
  const m = await waitUntil("the replica dead", async () => {
    const x = await ask();
    return x.brokers.dead === 1 ? x : undefined;
  }, { timeoutMs: 5000 });
  const count = (from: string, to: string) => m.livenessTransitions.find((t) => t.from === from && t.to === to)?.count;
  assert.equal([count("unknown", "alive"), count("alive", "suspect"), count("suspect", "dead")], [1, 1, 1]);
  const p = parsePrometheus(await renderPrometheus(await collectMetrics(c.nc)));
  assert.is(sample(p, "rocketbus_nameserver_brokers", { nameserver: "ns-test", liveness: "dead" }), 1);
  assert.is(sample(p, "rocketbus_nameserver_liveness_transitions_total", { nameserver: "ns-test", from: "alive", to: "suspect" }), 1);
});

test.run();
