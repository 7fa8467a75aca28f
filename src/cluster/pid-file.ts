// One run-cluster per data folder: the launcher's pid in
// <dataDir>/run-cluster.pid, so a second start says where the first one is
// and `rbus stop-cluster` finds the one to stop.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const pidFile = (dataDir: string) => join(dataDir, "run-cluster.pid");

/** The pid of a live launcher for `dataDir`, or undefined (a stale file is ignored). */
export function runningLauncher(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(dataDir), "utf8").trim());
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return isRunning(pid) ? pid : undefined;
}

/** Whether `pid` runs: signal 0 reaches it, and (where /proc tells) it is not a zombie waiting to be reaped. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // "<pid> (<comm>) <state> …": a launcher started in the background is reaped by init, maybe late
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc here (or it just went): signal 0 said it runs
  }
}

/** Writes this process's pid; throws, naming the other launcher, when one runs for the folder. */
export function claimPidFile(dataDir: string): () => void {
  const other = runningLauncher(dataDir);
  if (other !== undefined && other !== process.pid) {
    throw new Error(`a cluster from ${dataDir} is already running (launcher pid ${other}): stop it with \`make stop-cluster\` (rbus stop-cluster), or Ctrl-C in its terminal`);
  }
  writeFileSync(pidFile(dataDir), `${process.pid}\n`, { mode: 0o600 });
  return () => {
    if (runningLauncher(dataDir) === process.pid) rmSync(pidFile(dataDir), { force: true });
  };
}
