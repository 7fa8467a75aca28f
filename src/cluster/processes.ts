// Child processes of the launcher (and of the test harness): nats-server,
// waited for until it says it is ready, a clean stop for any child, and
// children that die with their launcher, even by kill -9 (guardChildren).
import { spawn, type ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";
import { fileURLToPath } from "node:url";

export const natsServerBin = () => process.env.NATS_SERVER ?? "nats-server";

/** Children started detached (own process group) die with this process. */
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of children) p.kill("SIGKILL");
});

/** The order a watchdog stops children in (lowest first): nats-server, which the others need, last. */
export const StopTier = { dashboard: 0, broker: 1, nameserver: 2, "nats-server": 3 } as const;

/** The watchdog's stdin, once guardChildren() started it. */
let watchdog: Writable | undefined;
const tierOf = new WeakMap<ChildProcess, number>();

/**
 * Children killOnExit() is given from now on are stopped even when this
 * process dies by SIGKILL, where no exit handler runs: a watchdog process
 * (watchdog.ts) learns each child's pid and stops the ones left when this
 * process's end closes its pipe. `label` shows in its command line (ps).
 */
export function guardChildren(label: string): void {
  if (watchdog) return;
  const script = fileURLToPath(new URL("./watchdog.js", import.meta.url));
  const proc = spawn(process.execPath, [script, "--for", label], { stdio: ["pipe", "ignore", "ignore"], detached: true });
  proc.unref();
  const pipe = proc.stdin!;
  (pipe as Writable & { unref?: () => void }).unref?.(); // the pipe alone must not keep this process running
  pipe.on("error", () => (watchdog = undefined)); // the watchdog went: children still die on a normal exit
  watchdog = pipe;
  for (const p of children) tell(`+${p.pid} ${tierOf.get(p) ?? StopTier.dashboard}`);
}

function tell(line: string): void {
  watchdog?.write(line + "\n");
}

export function killOnExit(proc: ChildProcess, tier: number = StopTier.dashboard): ChildProcess {
  children.add(proc);
  tierOf.set(proc, tier);
  if (proc.pid !== undefined) tell(`+${proc.pid} ${tier}`);
  proc.on("exit", () => {
    children.delete(proc);
    if (proc.pid !== undefined) tell(`-${proc.pid}`);
  });
  return proc;
}

export interface StartedNats {
  proc: ChildProcess;
  /** The client port the server reports listening on. */
  port: number;
}

/**
 * Starts `nats-server -c <config>` and resolves once it logs "Server is
 * ready", with the client port read from its log (so port -1 works).
 * Every log line also goes to `onLog`.
 */
export function startNatsProcess(configFile: string, onLog: (chunk: string) => void = () => {}, timeoutMs = 10_000): Promise<StartedNats> {
  return new Promise((resolve, reject) => {
    const proc = killOnExit(spawn(natsServerBin(), ["-c", configFile], { stdio: ["ignore", "ignore", "pipe"], detached: true }), StopTier["nats-server"]);
    let log = "";
    let port = 0;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      proc.kill("SIGKILL");
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`nats-server not ready after ${timeoutMs} ms:\n${log}`)), timeoutMs);
    proc.on("error", (err) => fail(new Error(`cannot start ${natsServerBin()} (${err.message}); install it with: make setup`)));
    proc.on("exit", (code) => fail(new Error(startFailure(code, log))));
    proc.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      onLog(chunk);
      if (settled) return;
      log += chunk;
      const m = /Listening for client connections on [^\s]+:(\d+)/.exec(log);
      if (m) port = Number(m[1]);
      if (port && log.includes("Server is ready")) {
        settled = true;
        clearTimeout(timer);
        resolve({ proc, port });
      }
    });
  });
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves when the process is gone. */
export async function terminate(proc: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** Why nats-server stopped at start, from its fatal lines, with what to do about it. */
function startFailure(code: number | null, log: string): string {
  const fatal = log.split("\n").filter((l) => /\[(FTL|ERR)\]/.test(l)).map((l) => l.replace(/^.*?\[(FTL|ERR)\] /, ""));
  const why = fatal.length > 0 ? fatal.join("; ") : log.trim().split("\n").slice(-5).join("\n");
  const hint = /address already in use/.test(log)
    ? "\nAnother nats-server (or an earlier run-cluster) holds that port: stop it, or change the ports in nats.conf and nats.url in cluster.json."
    : "";
  return `nats-server exited with code ${code}: ${why}${hint}`;
}
