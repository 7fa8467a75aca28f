// The watchdog of a launcher's children (`node watchdog.js --for <what>
// [--grace-ms <ms>]`), started by the launcher (guardChildren in
// processes.ts) in a session of its own, so no terminal signal reaches it.
// The launcher writes one line per child on the watchdog's stdin:
//
//   +<pid> <tier>   a child started; lower tiers stop first
//   -<pid>          it exited (its pid may be reused: never signal it again)
//
// The pipe closes when the launcher ends, however it ends: after a clean
// stop every child has said `-` and the watchdog exits at once; after a
// kill -9 of the launcher it stops what is left, tier by tier (SIGTERM,
// SIGKILL after a grace period), as the launcher would have: nats-server
// too, which cannot watch a pipe itself.
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { isRunning } from "./pid-file.js";

export const GRACE_MS = 5000;
const POLL_MS = 50;

/** pid → tier, of the children that run. */
const children = new Map<number, number>();

function apply(line: string): void {
  const m = /^([+-])(\d+)(?: (\d+))?$/.exec(line.trim());
  if (!m) return;
  const pid = Number(m[2]);
  if (m[1] === "+") children.set(pid, Number(m[3] ?? 0));
  else children.delete(pid);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** SIGTERM to every pid, SIGKILL to those still running after `graceMs`; resolves when all are gone. */
export async function stopPids(pids: number[], graceMs = GRACE_MS): Promise<void> {
  for (const pid of pids) signal(pid, "SIGTERM");
  const killAt = Date.now() + graceMs;
  let killed = false;
  for (;;) {
    const left = pids.filter(isRunning);
    if (left.length === 0) return;
    if (!killed && Date.now() >= killAt) {
      for (const pid of left) signal(pid, "SIGKILL");
      killed = true;
    }
    // a zombie nobody reaps counts as gone (isRunning); past this, the kernel has them
    if (killed && Date.now() >= killAt + graceMs) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function stopAll(graceMs: number): Promise<void> {
  const tiers = [...new Set(children.values())].sort((a, b) => a - b);
  for (const tier of tiers) await stopPids([...children].filter(([, t]) => t === tier).map(([pid]) => pid), graceMs);
}

function main(): void {
  const i = process.argv.indexOf("--grace-ms");
  const graceMs = i > 0 ? Number(process.argv[i + 1]) : GRACE_MS;
  const lines = createInterface({ input: process.stdin });
  lines.on("line", apply);
  lines.on("close", () => void stopAll(graceMs).then(() => process.exit(0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
