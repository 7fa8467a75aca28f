// Per-process counters from /proc (Linux): write syscalls and bytes, and
// context switches, to say how often the send path enters the kernel and
// how often it is taken off its core. NaN where /proc is not there.
import { readFileSync } from "node:fs";

export interface ProcCounters {
  writeCalls: number;
  writeBytes: number;
  /** The process gave its core up (it waited: a read, a lock, an idle loop). */
  voluntarySwitches: number;
  /** The scheduler took its core (another process ran in its place). */
  involuntarySwitches: number;
}

function field(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

export function procCounters(pid: number | "self"): ProcCounters {
  let io = "";
  let status = "";
  try {
    io = readFileSync(`/proc/${pid}/io`, "utf8");
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    // reported as NaN
  }
  return {
    writeCalls: field(io, "syscw"),
    writeBytes: field(io, "wchar"),
    voluntarySwitches: field(status, "voluntary_ctxt_switches"),
    involuntarySwitches: field(status, "nonvoluntary_ctxt_switches"),
  };
}

/** What happened between two readings. */
export function counterDelta(before: ProcCounters, after: ProcCounters): ProcCounters {
  return {
    writeCalls: after.writeCalls - before.writeCalls,
    writeBytes: after.writeBytes - before.writeBytes,
    voluntarySwitches: after.voluntarySwitches - before.voluntarySwitches,
    involuntarySwitches: after.involuntarySwitches - before.involuntarySwitches,
  };
}

export const describeCounters = (c: ProcCounters, messages: number) =>
  `${c.writeCalls} write calls (${(c.writeBytes / messages).toFixed(0)} B a message), ` +
  `${c.voluntarySwitches} voluntary and ${c.involuntarySwitches} involuntary context switches`;
