// The benchmark must keep running: a quick pass completes and reports a
// number for every scenario. How fast is not asserted (no timed tests).
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Report } from "../../bench/lib/report.js";

const script = fileURLToPath(new URL("../../bench/run.js", import.meta.url));
const test = suite("make bench-quick");

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");

test("runs every scenario and writes JSON and Markdown with figures", async () => {
  const out = mkdtempSync(join(tmpdir(), "rbus-bench-test-"));
  try {
    const proc = spawn(process.execPath, [script, "--quick", "--out", out], { stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
    let stderr = "";
    proc.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    proc.stdout.resume();
    const code = await new Promise<number | null>((r) => proc.on("exit", r));
    assert.is(code, 0, stderr);
    assert.match(stderr, /\(a\) 100 B/, "it shows progress");
    const report = JSON.parse(readFileSync(join(out, "benchmarks-quick.json"), "utf8")) as Report;
    const scenarios = new Set(report.rows.map((r) => r.scenario.slice(0, 3)));
    assert.equal([...scenarios].sort(), ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)", "(h)", "(i)"]);
    // (f) also against the log's size: one restart per size, each naming the tail it checked
    const curve = report.rows.filter((r) => r.scenario === "(f) restart after kill -9, by log size");
    const sizes = curve.filter((r) => r.metric.startsWith("time to serve, "));
    assert.is(sizes.length, 2);
    for (const r of sizes) assert.match(r.note ?? "", /tail checked past the last checkpoint: \d+ MiB, \d+ records replayed/);
    // and JetStream restarted with a stream of the largest log's size, per GiB beside it
    const beside = curve.filter((r) => r.metric.startsWith("time to serve per GiB"));
    assert.is(beside.length, 1);
    assert.ok(beside[0]!.jetstream! > 0);
    // every row with a target says whether this run met it
    for (const r of report.rows) if (r.target) assert.type(r.met, "boolean", `${r.scenario} ${r.metric}`);
    // (g), the replicated groups, is a section of its own
    assert.ok(report.replicated, "the replicated-groups section");
    for (const row of report.rows) {
      // a timer delivered within the millisecond it was due is 0 ms late; every other figure is a rate or a time above 0
      const least = row.metric.startsWith("lateness") ? 0 : Number.MIN_VALUE;
      assert.ok(Number.isFinite(row.rocketbus) && row.rocketbus >= least, `${row.scenario} ${row.metric}: ${row.rocketbus}`);
      assert.ok(row.jetstream === undefined || (Number.isFinite(row.jetstream) && row.jetstream > 0), `${row.scenario} JetStream`);
    }
    // the scale curves: every axis, each point with a throughput
    const axes = new Set(report.scale?.cells.map((c) => c.axis));
    assert.equal([...axes].sort(), ["consumers in a group", "message size", "producers", "queues", "topics"]);
    for (const c of report.scale!.cells) assert.ok(Number.isFinite(c.throughput) && c.throughput > 0, `${c.axis} ${c.point}: ${c.throughput}`);
    assert.ok(report.machine.cpus > 0);
    const md = readFileSync(join(out, "BENCHMARKS-quick.md"), "utf8");
    assert.match(md, /\| \(a\) produce, 100 B \| throughput \(msgs\/s\) \|/);
    assert.match(md, /÷ JetStream/);
    assert.match(md, /Replicated groups/);
    assert.match(md, /## Scale curves/);
    // every "why" link of a missed target names a section that docs/performance.md has
    const perf = readFileSync(fileURLToPath(new URL("../../../docs/performance.md", import.meta.url)), "utf8");
    const anchors = new Set([...perf.matchAll(/^#+ (.+)$/gm)].map(([, h]) => slug(h!)));
    for (const [, anchor] of md.matchAll(/\(performance\.md#([^)]+)\)/g)) assert.ok(anchors.has(anchor!), `docs/performance.md has no section #${anchor}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
