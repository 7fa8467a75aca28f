// Writes benchmark results as JSON and as the Markdown table in
// docs/BENCHMARKS.md, with the machine facts a reader needs to weigh them.
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { natsServerBin } from "../../src/cluster/processes.js";
import { replicatedMarkdown, type ReplicatedSection } from "./replicated-report.js";
import { scaleMarkdown, type ScaleSection } from "./scale-report.js";

export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  rocketbus: number;
  jetstream?: number;
  ceiling?: number;
  /** Whether bigger is better (throughput) or smaller (latency, bytes, time). */
  higherIsBetter: boolean;
  target?: string;
  /** Whether the target is reached in this run. */
  met?: boolean;
  note?: string;
}

export interface Report {
  date: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; natsServer: string };
  rows: Row[];
  /** Scenario (g): replicated groups against one replica and JetStream R3. */
  replicated?: ReplicatedSection;
  /** Scale curves: one axis of the load grown at a time. */
  scale?: ScaleSection;
}

export function machineFacts(): Report["machine"] {
  let natsServer = "unknown";
  try {
    natsServer = execFileSync(natsServerBin(), ["--version"], { encoding: "utf8" }).trim();
  } catch {
    // reported as unknown
  }
  const cpu = cpus();
  return { cpus: cpu.length, cpuModel: cpu[0]?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, natsServer };
}

const fmt = (v: number | undefined, unit: string) => {
  if (v === undefined || Number.isNaN(v)) return "–";
  if (unit === "msgs/s") return Math.round(v).toLocaleString("en-US");
  if (v >= 100) return Math.round(v).toLocaleString("en-US");
  return v.toFixed(v >= 10 ? 1 : 3);
};
const ratio = (a: number, b: number | undefined) => (b === undefined || !b || Number.isNaN(b) ? "–" : `${(a / b).toFixed(2)}×`);

export function markdown(r: Report): string {
  const lines = [
    "# Benchmarks",
    "",
    `Measured ${r.date}${r.quick ? " (quick run: small counts, figures are rough)" : ""} by \`make bench\`, on ${r.machine.cpus} × ${r.machine.cpuModel},`,
    `${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.natsServer}. The machine is shared and noisy: read the`,
    "ratios, which compare peers measured in the same run on the same nats-server and payloads, rather than the absolute figures.",
    "",
    "- **ceiling**: bare NATS request/reply with a trivial responder (per message, or carrying a batch) — what the bus itself allows;",
    "- **JetStream**: file storage, one replica, through `@nats-io/jetstream` — what a NATS user would pick instead.",
    "",
    "| scenario | metric | Rocketbus | JetStream | ceiling | ÷ JetStream | ÷ ceiling | target |",
    "|---|---|---:|---:|---:|---:|---:|---|",
  ];
  for (const row of r.rows) {
    lines.push(
      `| ${row.scenario} | ${row.metric} (${row.unit}) | ${fmt(row.rocketbus, row.unit)} | ${fmt(row.jetstream, row.unit)} | ${fmt(row.ceiling, row.unit)} | ${ratio(row.rocketbus, row.jetstream)} | ${ratio(row.rocketbus, row.ceiling)} | ${row.target ? `${row.target} ${row.met ? "✓" : "✗"}` : ""} |`,
    );
  }
  const notes = r.rows.filter((row) => row.note);
  if (notes.length) {
    lines.push("", "Notes:", "");
    for (const row of notes) lines.push(`- ${row.scenario}, ${row.metric}: ${row.note}`);
  }
  if (r.scale) lines.push(...scaleMarkdown(r.scale));
  if (r.replicated) lines.push(...replicatedMarkdown(r.replicated));
  return lines.join("\n") + "\n";
}

export function writeReport(r: Report, jsonFile: string, mdFile: string): void {
  for (const f of [jsonFile, mdFile]) mkdirSync(dirname(f), { recursive: true });
  writeFileSync(jsonFile, JSON.stringify(r, null, 2) + "\n");
  writeFileSync(mdFile, markdown(r));
}
