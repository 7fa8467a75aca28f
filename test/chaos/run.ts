// One chaos run: plan the schedule from the seed, start the cluster, let
// the producer and the consumer group run while the faults land one by one,
// then drain, audit every queue from the start with a fresh group, and
// judge. A run prints its seed and schedule first, its summary last.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { check, type Verdict } from "./checker.js";
import { ChaosCluster } from "./cluster.js";
import { collect, type Evidence, type Sources } from "./collect.js";
import { applyFault, type Applied } from "./faults.js";
import { readJournal } from "./journal.js";
import { formatSummary, type RunSummary } from "./report.js";
import { saveRun } from "./recheck.js";
import { describeStep, planSchedule, type FaultKind } from "./schedule.js";
import { waitUntil } from "../harness/wait.js";

export interface ChaosOptions {
  seed: number;
  cycles: number;
  kinds: readonly FaultKind[];
  /** The fault phase; quiet gaps between faults average durationMs / cycles. */
  durationMs: number;
  /** Producer messages per second. */
  rate?: number;
  members?: number;
  /** Replicas per broker group (default 1). */
  replicas?: number;
  /** Producer processes, each sending `rate` messages per second (default 1). */
  producers?: number;
  /** Broker groups (default broker-a and broker-b). */
  groups?: readonly string[];
  /** How long the live group and the audit each get to read everything. */
  drainMs?: number;
  /** Keep the run's folder even when it passes. */
  keep?: boolean;
  print?: (line: string) => void;
}

export interface ChaosResult extends RunSummary {
  ok: boolean;
  schedule: string[];
  text: string;
}

const GROUPS = ["broker-a", "broker-b"];
const TOPIC = "chaos";
const LIVE = "chaos-readers";
const AUDIT = "chaos-audit";

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const print = o.print ?? ((l: string) => console.log(l));
  const members = o.members ?? 2;
  const replicas = o.replicas ?? 1;
  const groups = o.groups ?? GROUPS;
  const steps = planSchedule({ seed: o.seed, cycles: o.cycles, kinds: o.kinds, groups, members, replicas, durationMs: o.durationMs });
  const schedule = steps.map(describeStep);
  const layout = [
    replicas > 1 ? ` REPLICAS=${replicas}` : "",
    o.producers !== undefined && o.producers !== 1 ? ` PRODUCERS=${o.producers}` : "",
    o.groups !== undefined ? ` GROUPS=${groups.join(",")}` : "",
    o.rate !== undefined && o.rate !== 200 ? ` RATE=${o.rate}` : "",
  ].join("");
  const replay = `make chaos SEED=${o.seed} CYCLES=${o.cycles} DURATION=${o.durationMs} FAULTS=${o.kinds.join(",")}${layout}`;
  print(`chaos: seed ${o.seed}, ${o.cycles} cycles, ${groups.length} groups × ${replicas} replicas, faults ${o.kinds.join(",")} (replay: ${replay})`);
  for (const line of schedule) print(`  ${line}`);

  const dir = mkdtempSync(join(tmpdir(), `rbus-chaos-${o.seed}-`));
  const c = await ChaosCluster.start({ dir, topic: TOPIC, groups, members, consumerGroup: LIVE, rate: o.rate ?? 200, replicas, producers: o.producers ?? 1 });
  const applied: Applied[] = [];
  let aborted: string | undefined;
  const journals = new Map<string, string>(c.consumers.map((m) => [m.name, LIVE]));
  let evidence: Evidence | undefined;
  const sources = (js: ReadonlyMap<string, string>): Sources => ({
    dir,
    journals: js,
    brokerLogs: new Map([...c.brokers].map(([g, nodes]) => [g, nodes.flatMap((b) => b.lives.map((l) => l.output())).join("\n")])),
    faults: applied,
  });
  try {
    const acks = () => readJournal(c.journal("producer-0")).filter((e) => e.t === "ack").length;
    await waitUntil("the producer's first acknowledgements", () => acks() >= 20, { timeoutMs: 20_000 });
    for (const step of steps) {
      await new Promise((r) => setTimeout(r, step.quietMs)); // the schedule's quiet time
      try {
        const a = await applyFault(c, step);
        applied.push(a);
        print(`  done ${a.description} (${a.endedAt - a.startedAt} ms)${a.note ? `: ${a.note}` : ""}`);
      } catch (err) {
        aborted = `${describeStep(step)}: ${err instanceof Error ? err.message : String(err)}`;
        break;
      }
    }
    await Promise.all(c.producers.map((p) => p.stop("SIGTERM")));
    const drainMs = aborted ? 2000 : (o.drainMs ?? 30_000);
    const settled = async (names: string[], group: string) => {
      const js = new Map(names.map((n) => [n, group]));
      await waitUntil(`${group} read every acknowledged message`, () => {
        const ev = collect(sources(js));
        const v = check({ ...ev, reads: ev.reads.get(group) ?? [] });
        return v.violations.every((x) => x.kind !== "lost");
      }, { timeoutMs: drainMs, intervalMs: 500 }).catch(() => undefined); // the checker says what is missing
    };
    await settled(c.consumers.map((m) => m.name), LIVE);
    c.audit = c.consumerNode("audit", AUDIT).start();
    journals.set("audit", AUDIT);
    await settled(["audit"], AUDIT);
    evidence = collect(sources(journals));
  } catch (err) {
    aborted ??= `the run itself: ${err instanceof Error ? err.message : String(err)}`;
  }
  const verdicts = new Map<string, Verdict>();
  evidence ??= collect(sources(journals));
  for (const g of [LIVE, AUDIT]) verdicts.set(g, check({ ...evidence, reads: evidence.reads.get(g) ?? [] }));
  const ok = !aborted && [...verdicts.values()].every((v) => v.ok);
  const logs = ok && !o.keep ? undefined : c.saveLogs();
  await c.stop();
  const summary: RunSummary = { seed: o.seed, cycles: o.cycles, applied, evidence, verdicts, aborted, logs, replay };
  if (ok && !o.keep) rmSync(dir, { recursive: true, force: true });
  else saveRun(dir, summary, journals, groups);
  const text = formatSummary(summary);
  print(text);
  return { ...summary, ok, schedule, text };
}
