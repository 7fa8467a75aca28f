// `rbus run-cluster --background` (`make run-cluster-bg`) and `rbus
// stop-cluster` (`make stop-cluster`): the launcher runs detached with its
// output in <dataDir>/logs/run-cluster.log; the command that started it
// prints the summary once the cluster is up and returns the terminal.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadClusterConfig } from "./config.js";
import { runningLauncher } from "./pid-file.js";

const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
/** The launcher's last summary line; in the background it names stop-cluster. */
export const READY_LINE = "stops everything.";
const say = (line: string) => process.stdout.write(line + "\n");
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `argv`: the launcher's flags, without --background. */
export async function startInBackground(argv: string[], configFile: string, timeoutMs = 90_000): Promise<void> {
  const config = loadClusterConfig(configFile);
  const logs = resolve(config.dataDir, "logs");
  mkdirSync(logs, { recursive: true });
  const logFile = join(logs, "run-cluster.log");
  const out = openSync(logFile, "w");
  const proc = spawn(process.execPath, [cli, "run-cluster", ...argv], {
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, RBUS_BACKGROUND: "1" },
  });
  closeSync(out);
  let exited: number | null | undefined;
  proc.on("exit", (code) => (exited = code));
  say(`starting in the background (launcher pid ${proc.pid}); its output goes to ${logFile}`);
  const deadline = Date.now() + timeoutMs;
  let shown = 0;
  for (;;) {
    const text = readFileSync(logFile, "utf8");
    // the launcher's progress, as it comes
    const lines = text.split("\n");
    for (const l of lines.slice(shown, lines.length - 1)) say(l);
    shown = Math.max(shown, lines.length - 1);
    if (text.includes(READY_LINE)) break;
    if (exited !== undefined) throw new Error(`run-cluster exited (code ${exited}) before the cluster was up; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`the cluster was not up after ${timeoutMs / 1000} s; see ${logFile}; stop it with: make stop-cluster`);
    await pause(200);
  }
  proc.unref();
}

export async function stopClusterCommand(values: { config: string }): Promise<void> {
  const { dataDir } = loadClusterConfig(values.config);
  const pid = runningLauncher(dataDir);
  if (pid === undefined) {
    say(`no cluster from ${dataDir} is running`);
    return;
  }
  say(`stopping the cluster (launcher pid ${pid}): brokers, then NameServers, then nats-server…`);
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 30_000;
  while (runningLauncher(dataDir) === pid) {
    if (Date.now() > deadline) throw new Error(`the launcher (pid ${pid}) is still running after 30 s; see ${join(dataDir, "logs", "run-cluster.log")}`);
    await pause(100);
  }
  say("stopped.");
}
