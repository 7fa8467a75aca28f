// The dashboard as one more node of run-cluster: `rbus dashboard` as the
// read-only `dashboard` NATS user, on cluster.json's port, its address read
// from the line it prints once it listens (port 0 there: any free port).
import type { ChildProcess } from "node:child_process";
import type { ClusterConfig } from "./config.js";

export const DEFAULT_DASHBOARD = { port: 8090, host: "127.0.0.1" } as const;

export function dashboardArgs(c: ClusterConfig): string[] {
  const d = { ...DEFAULT_DASHBOARD, ...c.dashboard };
  return ["dashboard", "--port", `${d.port}`, "--host", d.host];
}

/** The address the dashboard prints (`dashboard: http://…/`); rejects if it exits or stays silent too long. */
export function dashboardAddress(proc: ChildProcess, log: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const done = (err?: Error, url?: string) => {
      clearTimeout(timer);
      proc.stdout?.off("data", onData);
      proc.off("exit", onExit);
      if (err) reject(err);
      else resolve(url!);
    };
    const onData = (chunk: Buffer | string) => {
      out += chunk.toString();
      const m = /^dashboard: (http:\/\/\S+)$/m.exec(out);
      if (m) done(undefined, m[1]!);
    };
    const onExit = (code: number | null, signal: string | null) => done(new Error(`the dashboard exited (${signal ?? `code ${code}`}) before it listened; see ${log}`));
    const timer = setTimeout(() => done(new Error(`the dashboard did not listen within ${timeoutMs / 1000} s; see ${log}`)), timeoutMs);
    proc.stdout?.on("data", onData);
    proc.on("exit", onExit);
  });
}
