// Runs `rbus` subcommands as separate processes, as run-cluster does, so a
// test can kill one with SIGKILL. Output is kept for failure messages.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

export interface RbusProcess {
  proc: ChildProcess;
  output(): string;
  /** Sends a signal and waits for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `wrap` runs node under another command that execs it (same pid), e.g.
 * `["prlimit", "--nofile=256:256"]` for a low fd limit.
 */
export function spawnRbus(args: string[], env: Record<string, string> = {}, wrap: string[] = []): RbusProcess {
  return spawnNode(cli, args, env, wrap);
}

/** Runs a compiled script (a test's worker process) the way spawnRbus runs rbus. */
export function spawnNode(script: string, args: string[], env: Record<string, string> = {}, wrap: string[] = []): RbusProcess {
  const [command, ...prefix] = [...wrap, process.execPath];
  const proc = spawn(command!, [...prefix, script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RBUS_LOG: "info", ...env },
  });
  live.add(proc);
  let out = "";
  proc.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
  proc.stderr!.setEncoding("utf8").on("data", (c: string) => (out += c));
  const exited = new Promise<number | null>((resolve) =>
    proc.on("exit", (code) => {
      live.delete(proc);
      resolve(code);
    }),
  );
  return {
    proc,
    output: () => out,
    async kill(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Runs an rbus command to its end; resolves with its exit code and output. */
export async function runRbus(
  args: string[],
  timeoutMs = 30_000,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  proc.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => proc.on("exit", resolve));
  return { code, stdout, stderr };
}
