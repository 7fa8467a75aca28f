// The replicated-group scenario (g) on its own, printed and not written to
// docs/ (`make bench` runs it with everything else):
//   node dist/bench/replicated.js [--quick] [--only r1,r3-quorum,r3-leader,js-r3] [--messages <n>] [--samples <n>]
// --messages overrides the sendAsync count (the JetStream one scales with it),
// --samples the count of sends one at a time.
// RBUS_BENCH_PROFILE=<dir> makes every replica write a CPU profile there
// (<config>-replica<i>.cpuprofile); the progress lines say which was master.
import { parseArgs } from "node:util";
import { progress } from "./lib/progress.js";
import { replicatedMarkdown } from "./lib/replicated-report.js";
import { CONFIGS, replicated, type ConfigName } from "./scenarios/replicated.js";
import { FULL, QUICK } from "./scenarios/sizes.js";

const { values } = parseArgs({
  options: { quick: { type: "boolean", default: false }, only: { type: "string" }, messages: { type: "string" }, samples: { type: "string" } },
});
const only = (values.only?.split(",") ?? CONFIGS) as ConfigName[];
const unknown = only.filter((c) => !CONFIGS.includes(c));
if (unknown.length) throw new Error(`--only takes ${CONFIGS.join(", ")}; not ${unknown.join(", ")}`);
const sizes = { ...(values.quick ? QUICK : FULL) };
const count = (flag: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got "${v}"`);
  return n;
};
if (values.messages !== undefined) {
  const n = count("messages", values.messages);
  sizes.produceJetStream = Math.max(1, Math.round((n * sizes.produceJetStream) / sizes.produce));
  sizes.produce = n;
}
if (values.samples !== undefined) sizes.latencySamples = count("samples", values.samples);
const started = performance.now();
const section = await replicated(sizes, only);
process.stdout.write(replicatedMarkdown(section).join("\n") + "\n");
progress(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
