// The fault schedule: a pure function of the seed and the knobs. Everything
// random about a run is drawn here, up front, so a seed replays the same
// faults in the same order with the same parameters; only the system's own
// timing differs between runs. In a run of replicated groups each broker
// fault also draws its target: a replica by index, or "master" (whichever
// replica is master when the fault lands, resolved then).
import { mulberry32, type Rng } from "./prng.js";

export const FaultKind = {
  brokerKill: "broker-kill",
  brokerPause: "broker-pause",
  natsRestart: "nats-restart",
  tornTail: "torn-tail",
  byteFlip: "byte-flip",
  consumerKill: "consumer-kill",
  /** SIGTERM a broker (a clean stop), hold it down, start it again. */
  brokerRestart: "broker-restart",
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

export const KNOWN_FAULTS: readonly FaultKind[] = Object.values(FaultKind);
/** The default kinds of a run of one-replica groups (the CI seed draws every one of them). */
export const ALL_FAULTS: readonly FaultKind[] = ["broker-kill", "broker-pause", "nats-restart", "torn-tail", "byte-flip", "consumer-kill"];
/** The default kinds of a run of replicated groups: replicas die, hang and restart, masters included. */
export const REPLICA_FAULTS: readonly FaultKind[] = ["broker-kill", "broker-pause", "broker-restart", "nats-restart", "consumer-kill"];

/** The replica a broker fault hits: by index, or the group's master at the time. Absent: the only replica, 0. */
export type Target = number | "master";

export type Fault =
  | { kind: "broker-kill"; group: string; replica?: Target; downMs: number }
  | { kind: "broker-pause"; group: string; replica?: Target; pauseMs: number }
  | { kind: "broker-restart"; group: string; replica?: Target; downMs: number }
  | { kind: "nats-restart"; downMs: number }
  /** Stop the broker, cut `cutBytes` off its last commit-log segment, start it. */
  | { kind: "torn-tail"; group: string; replica?: Target; cutBytes: number }
  /** Stop the broker, xor one byte at `at` (a fraction of the commit log's bytes) with `xor`, start it. */
  | { kind: "byte-flip"; group: string; replica?: Target; at: number; xor: number }
  | { kind: "consumer-kill"; member: number; downMs: number };

export type BrokerFault = Extract<Fault, { group: string }>;

export interface Step {
  cycle: number;
  /** Quiet time before the fault, while producers and consumers run. */
  quietMs: number;
  fault: Fault;
}

export interface ScheduleOptions {
  seed: number;
  cycles: number;
  kinds: readonly FaultKind[];
  groups: readonly string[];
  members: number;
  /** Replicas per group (default 1: no targets are drawn, and a seed gives the schedule it always gave). */
  replicas?: number;
  /** The whole run's fault phase: quiet gaps average durationMs / cycles. */
  durationMs: number;
}

export function planSchedule(o: ScheduleOptions): Step[] {
  if (o.kinds.length === 0) throw new Error("no fault kinds to draw from");
  const rng = mulberry32(o.seed);
  const mean = o.durationMs / Math.max(1, o.cycles);
  const steps: Step[] = [];
  for (let cycle = 1; cycle <= o.cycles; cycle++) {
    const quietMs = Math.round(mean * (0.5 + rng.next()));
    steps.push({ cycle, quietMs, fault: drawFault(rng, o) });
  }
  return steps;
}

function drawFault(rng: Rng, o: ScheduleOptions): Fault {
  const f = drawKind(rng, o);
  // drawn after the fault's own parameters, so that a one-replica schedule is what it always was
  if ("group" in f && (o.replicas ?? 1) > 1) f.replica = rng.next() < 0.5 ? "master" : rng.int(0, o.replicas! - 1);
  return f;
}

function drawKind(rng: Rng, o: ScheduleOptions): Fault {
  const kind = rng.pick(o.kinds);
  switch (kind) {
    case "broker-kill":
      return { kind, group: rng.pick(o.groups), downMs: rng.int(100, 1500) };
    case "broker-pause":
      return { kind, group: rng.pick(o.groups), pauseMs: rng.int(300, 3000) };
    case "broker-restart":
      return { kind, group: rng.pick(o.groups), downMs: rng.int(100, 1500) };
    case "nats-restart":
      return { kind, downMs: rng.int(100, 1500) };
    case "torn-tail":
      return { kind, group: rng.pick(o.groups), cutBytes: rng.int(1, 200) };
    case "byte-flip":
      return { kind, group: rng.pick(o.groups), at: rng.next(), xor: rng.int(1, 255) };
    case "consumer-kill":
      return { kind, member: rng.int(0, o.members - 1), downMs: rng.int(100, 2000) };
  }
}

/** "broker-a" (the only replica), "broker-a.2", or "broker-a's master". */
export function targetName(f: BrokerFault): string {
  if (f.replica === undefined) return f.group;
  return f.replica === "master" ? `${f.group}'s master` : `${f.group}.${f.replica}`;
}

/** One line per step, the form the run prints and a replay can be compared with. */
export function describeStep(s: Step): string {
  const f = s.fault;
  const what = (() => {
    switch (f.kind) {
      case "broker-kill":
        return `kill -9 ${targetName(f)}, restart after ${f.downMs} ms`;
      case "broker-pause":
        return `SIGSTOP ${targetName(f)} for ${f.pauseMs} ms`;
      case "broker-restart":
        return `SIGTERM ${targetName(f)}, restart after ${f.downMs} ms`;
      case "nats-restart":
        return `kill -9 nats-server, restart after ${f.downMs} ms`;
      case "torn-tail":
        return `stop ${targetName(f)}, cut ${f.cutBytes} bytes off its commit log, restart`;
      case "byte-flip":
        return `stop ${targetName(f)}, xor 0x${f.xor.toString(16).padStart(2, "0")} at ${(f.at * 100).toFixed(3)}% of its commit log, restart`;
      case "consumer-kill":
        return `kill -9 consumer ${f.member}, restart after ${f.downMs} ms`;
    }
  })();
  return `#${s.cycle} after ${s.quietMs} ms: ${f.kind}: ${what}`;
}

/** FAULTS="broker-kill,nats-restart" → kinds; throws on an unknown name. */
export function parseKinds(list: string): FaultKind[] {
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!KNOWN_FAULTS.includes(n as FaultKind)) throw new Error(`unknown fault "${n}" (known: ${KNOWN_FAULTS.join(", ")})`);
  return names as FaultKind[];
}
