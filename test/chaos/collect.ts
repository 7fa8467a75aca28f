// Gathers a finished run's evidence for the checker: the workers' journals,
// the damage brokers logged (every life of every broker) and consumers were
// told of, and what the harness itself broke. A record's size follows from
// what the producer sent (topic and body; it sets no tags, keys or properties).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { encodedSize } from "../../src/store/record.js";
import type { Ack, DamageReport, InjectedDamage, Read } from "./checker.js";
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

/** Where a run's evidence lives: in a running cluster, or in a kept run folder (see recheck.ts). */
export interface Sources {
  dir: string;
  /** Journal name → the consumer group its reads count for. */
  journals: ReadonlyMap<string, string>;
  /** Broker group → its log, every life. */
  brokerLogs: ReadonlyMap<string, string>;
  faults: ReadonlyArray<Pick<Applied, "injected" | "reports">>;
}

export function collect(src: Sources): Evidence {
  const ev: Evidence = { sent: new Set(), acks: [], failures: new Map(), reads: new Map(), reports: [], injected: [] };
  for (const name of readdirSync(src.dir).filter((n) => n.startsWith("producer-") && n.endsWith(".jsonl"))) {
    for (const e of readJournal(join(src.dir, name))) {
      if (e.t === "sent") for (const b of e.bodies) ev.sent.add(b);
      else if (e.t === "ack") ev.acks.push({ ...e, size: encodedSize({ topic: e.topic, queueId: e.queueId, body: Buffer.from(e.body) }) });
      else if (e.t === "fail") ev.failures.set(e.code, (ev.failures.get(e.code) ?? 0) + 1);
    }
  }
  for (const [name, group] of src.journals) {
    const reads = ev.reads.get(group) ?? [];
    for (const e of readJournal(join(src.dir, `${name}.jsonl`))) {
      if (e.t === "read") reads.push(e);
      else if (e.t === "damage") ev.reports.push(e);
    }
    ev.reads.set(group, reads);
  }
  for (const [group, text] of src.brokerLogs) {
    for (const line of logObjects(text)) ev.reports.push(...damageInLine(line, `${group} log`, group));
  }
  for (const f of src.faults) {
    ev.reports.push(...f.reports);
    if (f.injected) ev.injected.push(f.injected);
  }
  return ev;
}
