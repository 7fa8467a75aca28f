// CPU time (user + system) that each process of a configuration spends
// during one run: on a host with fewer cores than busy processes, a group's
// throughput is bounded by the CPU one message costs across all of them,
// which is what makes 3 replicas dearer than 1. Linux only (/proc); the
// bench's own process is measured with process.cpuUsage().
import { readFileSync } from "node:fs";

/** Kernel clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU (user + system) a process has used since it started, ms. */
export function cpuMs(pid: number): number {
  try {
    // fields after the ")" of the command name: state is 1st, utime the 12th, stime the 13th
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * Starts counting; the returned function gives ms of CPU since then for each
 * named set of processes (summed; empty sets left out), with "client" for
 * this process.
 */
export function cpuMeter(pids: Record<string, number[]>): () => Record<string, number> {
  pids = Object.fromEntries(Object.entries(pids).filter(([, list]) => list.length > 0));
  const sum = (list: number[]) => list.reduce((a, pid) => a + cpuMs(pid), 0);
  const start = Object.fromEntries(Object.entries(pids).map(([name, list]) => [name, sum(list)]));
  const self = process.cpuUsage();
  return () => {
    const spent: Record<string, number> = {};
    for (const [name, list] of Object.entries(pids)) spent[name] = sum(list) - start[name]!;
    const own = process.cpuUsage(self);
    spent.client = (own.user + own.system) / 1000;
    return spent;
  };
}

export const totalMs = (split: Record<string, number>) => Object.values(split).reduce((a, b) => a + b, 0);
