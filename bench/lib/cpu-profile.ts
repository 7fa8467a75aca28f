// Self time by function from a V8 .cpuprofile (`node --cpu-prof`): the
// figures docs/performance.md quotes, without opening a flame graph.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** "name (file:line)", the file relative to the repository or node's own. */
  fn: string;
  ms: number;
  /** Share of all sampled time, idle included. */
  share: number;
  /** Share of the time the process was not idle. */
  busyShare: number;
}

const root = fileURLToPath(new URL("../../../", import.meta.url));

function where(f: ProfileNode["callFrame"]): string {
  const name = f.functionName || "(anonymous)";
  if (!f.url) return name;
  const file = f.url.replace(/^file:\/\//, "").replace(root, "").replace(/^node:/, "node:");
  return `${name} (${file}:${f.lineNumber + 1})`;
}

/** Every function's self time, largest first. */
export function selfTimes(file: string): { total: number; idle: number; rows: SelfTime[] } {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byNode = new Map(p.nodes.map((n) => [n.id, where(n.callFrame)]));
  const us = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const key = byNode.get(p.samples[i]!) ?? "?";
    const dt = p.timeDeltas[i] ?? 0;
    us.set(key, (us.get(key) ?? 0) + dt);
    total += dt;
  }
  const idle = us.get("(idle)") ?? 0;
  const rows = [...us].map(([fn, t]) => ({ fn, ms: t / 1000, share: t / total, busyShare: fn === "(idle)" ? NaN : t / (total - idle) }));
  return { total: total / 1000, idle: idle / 1000, rows: rows.sort((a, b) => b.ms - a.ms) };
}

/** The top `n` as a Markdown table. */
export function selfTimeTable(file: string, n: number): string[] {
  const { total, idle, rows } = selfTimes(file);
  const pct = (v: number) => (Number.isNaN(v) ? "–" : `${(v * 100).toFixed(1)} %`);
  return [
    `${(total / 1000).toFixed(2)} s sampled, ${pct(idle / total)} idle`,
    "",
    "| function | self (ms) | of all | of busy |",
    "|---|---:|---:|---:|",
    ...rows.slice(0, n).map((r) => `| \`${r.fn}\` | ${r.ms.toFixed(0)} | ${pct(r.share)} | ${pct(r.busyShare)} |`),
  ];
}
