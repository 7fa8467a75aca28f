// The cluster a benchmark runs against: a throwaway nats-server, and a
// NameServer and one broker as separate processes (as in production), so
// that the broker's CPU is not the benchmark client's.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/transport-node";
import { killOnExit, terminate } from "../../src/cluster/processes.js";
import { subjects } from "../../src/protocol/index.js";
import { connectNats } from "../../src/runtime/nats.js";
import { startNatsServer, type NatsServer } from "../../test/harness/nats-server.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface BenchCluster {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  brokerDir: string;
  broker(): ChildProcess;
  /** Starts the broker process; resolves with ms from spawn until it answers `status`. */
  startBroker(): Promise<number>;
  /** Starts one more broker group's replica, `env` added to its environment, once it answers `status`; stopped by stop() at the latest. */
  startOtherBroker(group: string, env: Record<string, string>): Promise<{ stop(): Promise<void> }>;
  killBroker(signal?: NodeJS.Signals): Promise<void>;
  /** The broker's log lines (JSON, warn and above) since it last started. */
  brokerLog(): readonly string[];
  stop(): Promise<void>;
}

/** Resident memory of a process, in bytes (Linux). */
export function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Anonymous resident memory (heap, stacks, buffers; not the executable's mapped pages), in bytes (Linux). */
export function rssAnon(pid: number): number {
  const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function untilAnswers(nc: NatsConnection, subject: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await nc.request(subject, "{}", { timeout: 200 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${subject} did not answer in ${timeoutMs} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

export async function startBenchCluster(): Promise<BenchCluster> {
  const server = await startNatsServer();
  const nc = await connectNats(server.url, "rbus-bench", { noAsyncTraces: true });
  const dir = mkdtempSync(join(tmpdir(), "rbus-bench-"));
  const brokerDir = join(dir, "broker-a.0");
  // RBUS_BENCH_PROFILE=<dir>: the broker writes a CPU profile there when it stops.
  const profile = process.env.RBUS_BENCH_PROFILE;
  const spawnNode = (args: string[], prof = false, env: Record<string, string> = {}, logged = false) =>
    killOnExit(
      spawn(process.execPath, [...(prof && profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : []), cli, ...args, "--nats", server.url], {
        stdio: ["ignore", "ignore", logged ? "pipe" : "ignore"],
        env: { ...process.env, RBUS_LOG: "warn", ...env },
      }),
    );
  let brokerLines: string[] = [];
  const ns = spawnNode(["nameserver", "--id", "ns-bench"]);
  await untilAnswers(nc, subjects().ns.info);
  let broker: ChildProcess | undefined;
  const others = new Set<ChildProcess>();
  const cluster: BenchCluster = {
    server,
    nc,
    dir,
    brokerDir,
    broker: () => broker!,
    async startBroker() {
      const t0 = performance.now();
      broker = spawnNode(["broker", "--broker-group", "broker-a", "--data", brokerDir, "--heartbeat-interval", "1000"], true, {}, true);
      const lines: string[] = (brokerLines = []);
      let partial = "";
      broker.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop()!;
        if (lines.length < 1000) lines.push(...parts);
      });
      await untilAnswers(nc, subjects().broker("broker-a", 0, "status"));
      return performance.now() - t0;
    },
    async startOtherBroker(group, env) {
      const proc = spawnNode(["broker", "--broker-group", group, "--data", join(dir, `${group}.0`), "--heartbeat-interval", "1000"], false, env);
      others.add(proc);
      await untilAnswers(nc, subjects().broker(group, 0, "status"));
      return {
        async stop() {
          others.delete(proc);
          await terminate(proc);
        },
      };
    },
    async killBroker(signal = "SIGTERM") {
      if (!broker) return;
      if (signal === "SIGTERM") await terminate(broker);
      else {
        const gone = new Promise((r) => broker!.once("exit", r));
        broker.kill(signal);
        await gone;
      }
    },
    brokerLog: () => brokerLines,
    async stop() {
      for (const p of others) await terminate(p);
      await cluster.killBroker();
      await terminate(ns);
      await nc.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.startBroker();
  return cluster;
}
