// A kept run folder judged again: `node dist/test/chaos/recheck.js <dir>`
// reads run.json (what the faults broke, which journal is which group), the
// journals and logs/<broker group>.log, and prints the summary anew, so a
// change to the checker can be tried on a failure without running it again.
import { readFileSync, writeFileSync } from "node:fs";
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
}

export function saveRun(dir: string, s: RunSummary, journals: ReadonlyMap<string, string>): void {
  const run: RunFile = { seed: s.seed, cycles: s.cycles, replay: s.replay, aborted: s.aborted, journals: [...journals], applied: [...s.applied] };
  writeFileSync(join(dir, "run.json"), JSON.stringify(run, null, 1));
}

export function recheck(dir: string): string {
  const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as RunFile;
  const journals = new Map(run.journals);
  const groups = new Set(run.applied.flatMap((a) => ("group" in a.step.fault ? [a.step.fault.group] : [])));
  for (const g of ["broker-a", "broker-b"]) groups.add(g);
  const brokerLogs = new Map<string, string>();
  for (const g of groups) {
    try {
      brokerLogs.set(g, readFileSync(join(dir, "logs", `${g}.log`), "utf8"));
    } catch {
      // a passing run kept with KEEP=1 has no logs folder
    }
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
