// A kept run folder judged again: `node dist/test/chaos/recheck.js <dir>`
// reads run.json (what the faults broke, which journal is which group), the
// journals and logs/<broker group>.log, and prints the summary anew, so a
// change to the checker can be tried on a failure without running it again.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { check, type Verdict } from "./checker.js";
import { collect } from "./collect.js";
import type { Applied } from "./faults.js";
import { formatSummary, type RunSummary } from "./report.js";

interface RunFile {
  seed: number;
  cycles: number;
  replay: string;
  aborted?: string;
  journals: Array<[string, string]>;
  applied: Applied[];
  /** The run's broker groups (absent in folders kept before replicated runs: broker-a and broker-b). */
  groups?: string[];
}

export function saveRun(dir: string, s: RunSummary, journals: ReadonlyMap<string, string>, groups: readonly string[]): void {
  const run: RunFile = { seed: s.seed, cycles: s.cycles, replay: s.replay, aborted: s.aborted, journals: [...journals], applied: [...s.applied], groups: [...groups] };
  writeFileSync(join(dir, "run.json"), JSON.stringify(run, null, 1));
}

export function recheck(dir: string): string {
  const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as RunFile;
  const journals = new Map(run.journals);
  const groups = new Set(run.applied.flatMap((a) => ("group" in a.step.fault ? [a.step.fault.group] : [])));
  for (const g of run.groups ?? ["broker-a", "broker-b"]) groups.add(g);
  const logs = join(dir, "logs");
  const files = existsSync(logs) ? readdirSync(logs) : []; // a passing run kept with KEEP=1 has no logs folder
  const brokerLogs = new Map<string, string>();
  for (const g of groups) {
    // <group>.log for a one-replica group, <group>.<i>.log for each replica of a replicated one
    const mine = files.filter((f) => f === `${g}.log` || (f.startsWith(`${g}.`) && /^\d+\.log$/.test(f.slice(g.length + 1))));
    if (mine.length > 0) brokerLogs.set(g, mine.map((f) => readFileSync(join(logs, f), "utf8")).join("\n"));
  }
  const evidence = collect({ dir, journals, brokerLogs, faults: run.applied });
  const verdicts = new Map<string, Verdict>();
  for (const g of new Set(journals.values())) verdicts.set(g, check({ ...evidence, reads: evidence.reads.get(g) ?? [] }));
  return formatSummary({ seed: run.seed, cycles: run.cycles, applied: run.applied, evidence, verdicts, aborted: run.aborted, replay: run.replay });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: node dist/test/chaos/recheck.js <kept run folder>");
  console.log(recheck(dir));
}
