// Gathers a finished run's evidence for the checker: the workers' journals,
// the damage brokers logged (every life of every broker) and consumers were
// told of, and what the harness itself broke.
import { readdirSync } from "node:fs";
import type { Ack, DamageReport, InjectedDamage, Read } from "./checker.js";
import type { ChaosCluster } from "./cluster.js";
import { damageInLine, logObjects } from "./damage-reports.js";
import type { Applied } from "./faults.js";
import { readJournal } from "./journal.js";

export interface Evidence {
  sent: Set<string>;
  acks: Ack[];
  /** Producer failures by error code. */
  failures: Map<string, number>;
  /** Reads per consumer group, journal by journal (each in its own order). */
  reads: Map<string, Read[]>;
  reports: DamageReport[];
  injected: InjectedDamage[];
}

/** `journals`: journal name → the consumer group its reads count for. */
export function collect(c: ChaosCluster, applied: readonly Applied[], journals: ReadonlyMap<string, string>): Evidence {
  const ev: Evidence = { sent: new Set(), acks: [], failures: new Map(), reads: new Map(), reports: [], injected: [] };
  for (const name of readdirSync(c.o.dir).filter((n) => n.startsWith("producer-") && n.endsWith(".jsonl"))) {
    for (const e of readJournal(`${c.o.dir}/${name}`)) {
      if (e.t === "sent") for (const b of e.bodies) ev.sent.add(b);
      else if (e.t === "ack") ev.acks.push(e);
      else if (e.t === "fail") ev.failures.set(e.code, (ev.failures.get(e.code) ?? 0) + 1);
    }
  }
  for (const [name, group] of journals) {
    const reads = ev.reads.get(group) ?? [];
    for (const e of readJournal(c.journal(name))) {
      if (e.t === "read") reads.push(e);
      else if (e.t === "damage") ev.reports.push(e);
    }
    ev.reads.set(group, reads);
  }
  for (const [group, b] of c.brokers) {
    for (const life of b.lives) for (const line of logObjects(life.output())) ev.reports.push(...damageInLine(line, `${group} log`, group));
  }
  for (const a of applied) {
    ev.reports.push(...a.reports);
    if (a.injected) ev.injected.push(a.injected);
  }
  return ev;
}
