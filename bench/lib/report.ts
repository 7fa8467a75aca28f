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
  /** Targets as ratios to a peer measured in the same run; target and met are derived from them (judge). */
  goals?: Goal[];
  /** Where docs/performance.md says what the time goes to when the target is not met (a section anchor there). */
  why?: string;
  note?: string;
}

/** `rocketbus ÷ peer` must be at least, or at most, `ratio`. */
export interface Goal {
  peer: "jetstream" | "ceiling";
  atLeast?: number;
  atMost?: number;
}

const peerName = { jetstream: "JetStream", ceiling: "ceiling" } as const;
const peerOf = (row: Row, g: Goal) => (g.peer === "jetstream" ? row.jetstream : row.ceiling);

/** How far a goal is from being met in this run: the factor still needed (1 or less: met). */
function shortfall(row: Row, g: Goal): number {
  const r = row.rocketbus / (peerOf(row, g) ?? NaN);
  return g.atLeast !== undefined ? g.atLeast / r : r / g.atMost!;
}

/** Fills target and met from goals; rows without goals are returned as they are. */
export function judge(row: Row): Row {
  if (!row.goals?.length) return row;
  const target = row.goals.map((g) => `${g.atLeast !== undefined ? `≥ ${g.atLeast}` : `≤ ${g.atMost}`}× ${peerName[g.peer]}`).join(", ");
  return { ...row, target, met: row.goals.every((g) => shortfall(row, g) <= 1) };
}

/** One line per target this run missed: by how much, and where the reason is written down. */
export function misses(rows: readonly Row[]): string[] {
  const out: string[] = [];
  for (const row of rows.map(judge)) {
    if (!row.target || row.met !== false) continue;
    const by = (row.goals ?? []).map((g) => [g, shortfall(row, g)] as const).filter(([, f]) => f > 1)
      .map(([g, f]) => (g.atLeast !== undefined ? `${f.toFixed(2)}× too slow for ≥ ${g.atLeast}× ${peerName[g.peer]}` : `${f.toFixed(2)}× over ≤ ${g.atMost}× ${peerName[g.peer]}`));
    const why = row.why ? `; why: [performance.md](performance.md#${row.why})` : "";
    out.push(`- ${row.scenario}, ${row.metric}: ${by.length ? by.join(", ") : `target ${row.target} not met`}${why}`);
  }
  return out;
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
  for (const row of r.rows.map(judge)) {
    lines.push(
      `| ${row.scenario} | ${row.metric} (${row.unit}) | ${fmt(row.rocketbus, row.unit)} | ${fmt(row.jetstream, row.unit)} | ${fmt(row.ceiling, row.unit)} | ${ratio(row.rocketbus, row.jetstream)} | ${ratio(row.rocketbus, row.ceiling)} | ${row.target ? `${row.target} ${row.met ? "✓" : "✗"}` : ""} |`,
    );
  }
  const missed = misses(r.rows);
  if (missed.length) lines.push("", "Targets this run missed, by how much (the factor still to gain), and where the reason is written down:", "", ...missed);
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
  writeFileSync(jsonFile, JSON.stringify({ ...r, rows: r.rows.map(judge) }, null, 2) + "\n");
  writeFileSync(mdFile, markdown(r));
}
