// `make bench` / `make bench-quick`: every scenario against its peers in
// one run, written to docs/BENCHMARKS.md and docs/benchmarks.json.
//   node dist/bench/run.js [--quick] [--out <dir>] [--only inspect|produce|timers|scale|restart]
// --only runs scenario (i), the produce rows (a), the timer lateness (h), the scale curves or the restart curve alone and prints it, writing no report.
import { parseArgs } from "node:util";
import { join } from "node:path";
import { startBenchCluster } from "./lib/cluster.js";
import { progress } from "./lib/progress.js";
import { machineFacts, markdown, writeReport, type Report, type Row } from "./lib/report.js";
import { failover } from "./failover.js";
import { startEchoProcess } from "./peers/nats.js";
import { backlog } from "./scenarios/backlog.js";
import { endToEnd } from "./scenarios/end-to-end.js";
import { inspectCost } from "./scenarios/inspect-cost.js";
import { produce } from "./scenarios/produce.js";
import { replicated } from "./scenarios/replicated.js";
import { restartCurve } from "./scenarios/restart-curve.js";
import { scale } from "./scenarios/scale.js";
import { sendLatency } from "./scenarios/send-latency.js";
import { timerLateness } from "./scenarios/timer-lateness.js";
import { FULL, QUICK } from "./scenarios/sizes.js";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, out: { type: "string", default: "docs" }, only: { type: "string" } } });
const quick = values.quick;
if (values.only !== undefined && !["inspect", "produce", "timers", "scale", "restart"].includes(values.only)) {
  throw new Error(`--only ${values.only}: what runs alone is "inspect", "produce", "timers", "scale" or "restart"`);
}
const sizes = quick ? QUICK : FULL;
const started = performance.now();
const summary = (rows: Row[], scaleSection?: Report["scale"]) => markdown({ date: new Date().toISOString(), quick, machine: machineFacts(), rows, scale: scaleSection });
if (values.only === "scale") {
  process.stdout.write(summary([], await scale(sizes, quick)));
  progress(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  process.exit(0);
}

if (values.only === "restart") {
  process.stdout.write(summary(await restartCurve(sizes)));
  progress(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  process.exit(0);
}

progress(`starting nats-server, a NameServer and a broker (${quick ? "quick" : "full"} run)`);
const cluster = await startBenchCluster();
const stopEcho = await startEchoProcess(cluster.server.url);
const rows: Row[] = [];
if (values.only === "inspect" || values.only === "produce" || values.only === "timers") {
  try {
    if (values.only === "inspect") rows.push(await inspectCost(cluster, sizes));
    else if (values.only === "timers") rows.push(...(await timerLateness(cluster, sizes)));
    else rows.push(await produce(cluster, sizes, 100), await produce(cluster, sizes, 1024));
  } finally {
    await stopEcho();
    await cluster.stop();
  }
  process.stdout.write(summary(rows));
  process.exit(0);
}
try {
  rows.push(await produce(cluster, sizes, 100));
  rows.push(await produce(cluster, sizes, 1024));
  rows.push(...(await sendLatency(cluster, sizes)));
  rows.push(...(await endToEnd(cluster, sizes)));
  rows.push(await inspectCost(cluster, sizes));
  rows.push(...(await backlog(cluster, sizes)));
  rows.push(...(await timerLateness(cluster, sizes)));
} finally {
  await stopEcho();
  await cluster.stop();
}
// The restart curve, the scale curves and the replicated groups run on their own processes, once the single-broker cluster is gone.
rows.push(...(await restartCurve(sizes)));
const scaleSection = await scale(sizes, quick);
const replicatedSection = await replicated(sizes);
rows.push(...(await failover(quick)));

const report: Report = { date: new Date().toISOString(), quick, machine: machineFacts(), rows, scale: scaleSection, replicated: replicatedSection };
const md = quick ? join(values.out, "BENCHMARKS-quick.md") : join(values.out, "BENCHMARKS.md");
const json = quick ? join(values.out, "benchmarks-quick.json") : join(values.out, "benchmarks.json");
writeReport(report, json, md);
process.stdout.write(markdown(report));
progress(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; wrote ${md} and ${json}`);
