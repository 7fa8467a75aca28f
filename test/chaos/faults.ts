// Applying one scheduled fault to a running chaos cluster. The hold times
// (down, paused) are part of the schedule: how long the fault lasts, not a
// wait for the system to reach some state. Waits for state use waitUntil.
import type { DamageReport, InjectedDamage } from "./checker.js";
import type { ChaosCluster } from "./cluster.js";
import { logObjects, truncatedBytes } from "./damage-reports.js";
import { describeStep, type BrokerFault, type Step } from "./schedule.js";
import { cutTail, flipByte } from "./tamper.js";

export interface Applied {
  step: Step;
  description: string;
  startedAt: number;
  endedAt: number;
  /** Bytes the fault broke, when it broke any. */
  injected?: InjectedDamage;
  /** Damage the restarted broker reported that only the harness can place (a truncation's byte count). */
  reports: DamageReport[];
  /** What happened, for the run's record (e.g. the byte flipped, the bytes a recovery truncated). */
  note?: string;
}

const hold = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The replica a broker fault hits: its index, or the master of the moment
 * (replica 0 when no replica claims to be master, mid-election), and how
 * the run's record names it.
 */
async function target(c: ChaosCluster, f: BrokerFault): Promise<{ replica: number; name: string }> {
  if (f.replica === undefined) return { replica: 0, name: f.group };
  if (f.replica !== "master") return { replica: f.replica, name: `${f.group}.${f.replica}` };
  const m = await c.masterOf(f.group);
  return m === undefined ? { replica: 0, name: `${f.group}.0 (no master found)` } : { replica: m, name: `${f.group}.${m} (the master)` };
}

export async function applyFault(c: ChaosCluster, step: Step): Promise<Applied> {
  const f = step.fault;
  const out: Applied = { step, description: describeStep(step), startedAt: Date.now(), endedAt: 0, reports: [] };
  const label = `#${step.cycle} ${f.kind}`;
  const hit = "group" in f ? await target(c, f) : undefined;
  if (hit && "replica" in f && f.replica !== undefined) out.note = hit.name;
  switch (f.kind) {
    case "broker-kill": {
      await c.broker(f.group, hit!.replica).stop("SIGKILL");
      await hold(f.downMs);
      c.broker(f.group, hit!.replica).start();
      await c.waitBrokerUp(f.group, hit!.replica);
      break;
    }
    case "broker-restart": {
      const code = await c.broker(f.group, hit!.replica).stop("SIGTERM");
      if (code !== 0) out.note = `${hit!.name} exited ${code} on SIGTERM`;
      await hold(f.downMs);
      c.broker(f.group, hit!.replica).start();
      await c.waitBrokerUp(f.group, hit!.replica);
      break;
    }
    case "broker-pause": {
      c.broker(f.group, hit!.replica).signal("SIGSTOP");
      await hold(f.pauseMs);
      c.broker(f.group, hit!.replica).signal("SIGCONT");
      break;
    }
    case "nats-restart": {
      await c.server.crash();
      await hold(f.downMs);
      await c.server.start();
      break;
    }
    case "torn-tail":
    case "byte-flip": {
      const b = c.broker(f.group, hit!.replica);
      const code = await b.stop("SIGTERM");
      if (code !== 0) out.note = `${hit!.name} exited ${code} on SIGTERM`;
      const dir = c.dataDir(f.group, hit!.replica);
      const broken = f.kind === "torn-tail" ? cutTail(dir, f.cutBytes) : flipByte(dir, f.at, f.xor);
      b.start();
      await c.waitBrokerUp(f.group, hit!.replica);
      if (!broken) break;
      out.injected = { group: f.group, ...broken, fault: label };
      if (f.kind === "torn-tail") {
        // The broker truncates back to the last whole record before the cut: [cut start - T, cut end) is gone.
        const t = truncatedBytes(logObjects(b.output()));
        if (t > 0) out.reports.push({ group: f.group, from: broken.from - t, to: broken.to, source: `${label}: recovery truncated ${t} bytes` });
        out.note = `${hit!.name}: cut [${broken.from}, ${broken.to}); recovery truncated ${t} bytes`;
      } else {
        out.note = `${hit!.name}: flipped the byte at ${broken.from}`;
      }
      break;
    }
    case "consumer-kill": {
      const m = c.consumers[f.member];
      if (!m) throw new Error(`no consumer member ${f.member}`);
      await m.stop("SIGKILL");
      await hold(f.downMs);
      m.start();
      break;
    }
  }
  out.endedAt = Date.now();
  return out;
}
