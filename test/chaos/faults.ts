// Applying one scheduled fault to a running chaos cluster. The hold times
// (down, paused) are part of the schedule: how long the fault lasts, not a
// wait for the system to reach some state. Waits for state use waitUntil.
import type { DamageReport, InjectedDamage } from "./checker.js";
import type { ChaosCluster } from "./cluster.js";
import { logObjects, truncatedBytes } from "./damage-reports.js";
import { describeStep, type Step } from "./schedule.js";
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

export async function applyFault(c: ChaosCluster, step: Step): Promise<Applied> {
  const f = step.fault;
  const out: Applied = { step, description: describeStep(step), startedAt: Date.now(), endedAt: 0, reports: [] };
  const label = `#${step.cycle} ${f.kind}`;
  switch (f.kind) {
    case "broker-kill": {
      await c.broker(f.group).stop("SIGKILL");
      await hold(f.downMs);
      c.broker(f.group).start();
      await c.waitBrokerUp(f.group);
      break;
    }
    case "broker-pause": {
      c.broker(f.group).signal("SIGSTOP");
      await hold(f.pauseMs);
      c.broker(f.group).signal("SIGCONT");
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
      const b = c.broker(f.group);
      const code = await b.stop("SIGTERM");
      if (code !== 0) out.note = `${f.group} exited ${code} on SIGTERM`;
      const dir = c.dataDir(f.group);
      const broken = f.kind === "torn-tail" ? cutTail(dir, f.cutBytes) : flipByte(dir, f.at, f.xor);
      b.start();
      await c.waitBrokerUp(f.group);
      if (!broken) break;
      out.injected = { group: f.group, ...broken, fault: label };
      if (f.kind === "torn-tail") {
        // The broker truncates back to the last whole record before the cut: [cut start - T, cut end) is gone.
        const t = truncatedBytes(logObjects(b.output()));
        if (t > 0) out.reports.push({ group: f.group, from: broken.from - t, to: broken.to, source: `${label}: recovery truncated ${t} bytes` });
        out.note = `cut [${broken.from}, ${broken.to}); recovery truncated ${t} bytes`;
      } else {
        out.note = `flipped the byte at ${broken.from}`;
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
