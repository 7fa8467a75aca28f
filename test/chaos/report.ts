// The run's summary and, on failure, what went wrong in words a reader can
// act on: which rule, which message ids and queues, which fault came first
// after each lost message was acknowledged, and how to replay the seed.
import type { Verdict, Violation } from "./checker.js";
import type { Evidence } from "./collect.js";
import type { Applied } from "./faults.js";
import { targetName } from "./schedule.js";

export interface RunSummary {
  seed: number;
  cycles: number;
  applied: readonly Applied[];
  evidence: Evidence;
  verdicts: ReadonlyMap<string, Verdict>;
  /** A fault or a phase that could not complete (a broker that did not come back). */
  aborted?: string;
  logs?: string;
  /** The command that runs the same schedule again. */
  replay: string;
}

const SHOWN = 8;

function faultCounts(applied: readonly Applied[]): string {
  const n = new Map<string, number>();
  for (const a of applied) n.set(a.step.fault.kind, (n.get(a.step.fault.kind) ?? 0) + 1);
  return [...n].map(([k, v]) => `${k}×${v}`).join(" ") || "none";
}

/** "#3 torn-tail broker-b": a fault in a few words. */
function shortName(a: Applied): string {
  const f = a.step.fault;
  const target = "group" in f ? ` ${targetName(f)}` : f.kind === "consumer-kill" ? ` consumer ${f.member}` : "";
  return `#${a.step.cycle} ${f.kind}${target}`;
}

/** The faults either side of an acknowledgement: a loss comes from one after it, or from a state one before it left. */
function aroundAck(applied: readonly Applied[], at: number | undefined): string {
  if (at === undefined) return "";
  const before = applied.filter((a) => a.startedAt < at).at(-1);
  const after = applied.find((a) => a.startedAt >= at);
  return `; acknowledged ${before ? `after ${shortName(before)}` : "before any fault"}${after ? `, before ${shortName(after)}` : ""}`;
}

function describe(v: Violation, applied: readonly Applied[], readBy: (body: string) => string[]): string {
  switch (v.kind) {
    case "lost": {
      const others = readBy(v.body);
      const stored = others.length > 0 ? `; stored intact: ${others.join(", ")} read it` : "";
      return `lost ${v.msgId} at ${v.queue} (body ${v.body})${aroundAck(applied, v.at)}${stored}`;
    }
    case "unexplained":
      return `reported damaged but no fault touched it: ${v.msgId} at ${v.queue} (by ${v.report})${aroundAck(applied, v.at)}`;
    case "order":
      return `out of order in ${v.queue}: offset ${v.offset} (${v.body}) after ${v.after} (${v.afterBody}) in session ${v.session}${
        v.offset === v.after && v.body !== v.afterBody ? "; the queue offset was given to a second message" : ""
      }`;
    case "never-sent":
      return `read a body never sent: ${JSON.stringify(v.body)} as ${v.msgId} at ${v.queue} (session ${v.session})`;
  }
}

export function formatSummary(s: RunSummary): string {
  const ev = s.evidence;
  const readers = new Map<string, string[]>();
  for (const [group, reads] of ev.reads) for (const r of reads) if (!readers.get(r.body)?.includes(group)) readers.set(r.body, [...(readers.get(r.body) ?? []), group]);
  const failures = [...ev.failures].map(([k, v]) => `${k} ${v}`).join(", ");
  const lines = [
    `chaos seed=${s.seed} cycles=${s.cycles}: faults injected ${faultCounts(s.applied)}`,
    `  messages sent ${ev.sent.size}, acknowledged ${ev.acks.length}, refused ${[...ev.failures.values()].reduce((a, b) => a + b, 0)}${failures ? ` (${failures})` : ""}`,
    `  damage: injected ${ev.injected.length} ranges, reported ${ev.reports.length}`,
  ];
  for (const [group, v] of s.verdicts) {
    lines.push(
      `  ${group}: read ${v.read} of ${v.acked} acknowledged, reported damaged ${v.damaged}, duplicate reads ${v.duplicateReads}, stored twice ${v.storedTwice}, violations ${v.violations.length}`,
    );
  }
  if (s.aborted) lines.push(`  ABORTED: ${s.aborted}`);
  for (const [group, v] of s.verdicts) {
    const byKind = new Map<string, Violation[]>();
    for (const x of v.violations) byKind.set(x.kind, [...(byKind.get(x.kind) ?? []), x]);
    for (const [kind, list] of byKind) {
      lines.push(`  ${group}: ${list.length} ${kind}`);
      for (const x of list.slice(0, SHOWN)) lines.push(`    ${describe(x, s.applied, (b) => readers.get(b) ?? [])}`);
      if (list.length > SHOWN) lines.push(`    … and ${list.length - SHOWN} more`);
    }
  }
  const failed = s.aborted !== undefined || [...s.verdicts.values()].some((v) => !v.ok);
  if (failed) {
    if (s.logs) lines.push(`  node logs and journals: ${s.logs}`);
    lines.push(`  replay: ${s.replay}`);
  }
  return lines.join("\n");
}
