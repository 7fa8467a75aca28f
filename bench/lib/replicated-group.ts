// One broker group of N replicas for the replication benchmark, laid out as
// the single-broker bench cluster is: a throwaway nats-server, a NameServer
// and each replica as its own `rbus broker` process (async flush, as there),
// each with its own data folder. Ready once the group has a master that
// every slave fetches from, and the NameServer routes to that master.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../../src/client/admin.js";
import { killOnExit, terminate } from "../../src/cluster/processes.js";
import { decodeJson, subjects } from "../../src/protocol/index.js";
import { connectNats } from "../../src/runtime/nats.js";
import { startNatsServer, type NatsServer } from "../../test/harness/nats-server.js";
import { waitUntil } from "../../test/harness/wait.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
export const BENCH_GROUP = "broker-r";

export interface GroupConfig {
  /** Names the configuration in progress lines and profile files. */
  label: string;
  replicas: number;
  ack: "quorum" | "leader";
  electionTimeoutMs: number;
}

export interface BenchGroup {
  nc: NatsConnection;
  server: NatsServer;
  /** The replica that is master (it stays so for a bench run: nothing is killed). */
  master: number;
  masterPid(): number;
  /** Every replica's process id, by replica. */
  replicaPids(): number[];
  /** The master's term now (an election during a run shows as a change). */
  term(): Promise<number>;
  stop(): Promise<void>;
}

interface Replication {
  role: string;
  term: number;
  followers?: Array<{ replica: number; lagBytes: number; lastFetchAgoMs: number }>;
}

async function replication(nc: NatsConnection, i: number): Promise<Replication | undefined> {
  const reply = await nc.request(subjects().broker(BENCH_GROUP, i, "status"), "{}", { timeout: 500 });
  return (decodeJson(reply.data) as { replication?: Replication }).replication;
}

/**
 * Starts the group. RBUS_BENCH_PROFILE=<dir>: every replica writes a CPU
 * profile there when it stops, named <label>-replica<i>.cpuprofile.
 */
export async function startBenchGroup(c: GroupConfig): Promise<BenchGroup> {
  const server = await startNatsServer();
  const nc = await connectNats(server.url, "rbus-bench-replicated", { noAsyncTraces: true });
  const dir = mkdtempSync(join(tmpdir(), "rbus-bench-repl-"));
  const profile = process.env.RBUS_BENCH_PROFILE;
  const procs: ChildProcess[] = [];
  // Each process logs (warnings and errors) to <dir>/<name>.log: kept, with the data, when the group does not come up.
  const spawnNode = (name: string, args: string[], prof?: string) => {
    const out = openSync(join(dir, `${name}.log`), "a");
    const proc = spawn(process.execPath, [...(prof && profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${prof}.cpuprofile`] : []), cli, ...args, "--nats", server.url], {
      stdio: ["ignore", out, out],
      env: { ...process.env, RBUS_LOG: "warn" },
    });
    closeSync(out);
    procs.push(killOnExit(proc));
  };
  const stop = async (keep = false) => {
    await Promise.all(procs.map((p) => terminate(p)));
    await nc.close();
    await server.stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  let seen: Array<Replication | undefined> = [];
  try {
    spawnNode("nameserver", ["nameserver", "--id", "ns-bench"]);
    for (let i = 0; i < c.replicas; i++) {
      const args = [
        "broker", "--broker-group", BENCH_GROUP, "--replica", String(i), "--replicas", String(c.replicas), "--ack", c.ack,
        "--election-timeout", String(c.electionTimeoutMs), "--data", join(dir, `${BENCH_GROUP}.${i}`), "--heartbeat-interval", "1000",
      ];
      spawnNode(`${BENCH_GROUP}.${i}`, args, `${c.label}-replica${i}`);
    }
    const master = await waitUntil(`a master of ${BENCH_GROUP} that all ${c.replicas - 1} slaves fetch from`, async () => {
      seen = await Promise.all(procs.slice(1).map((_, i) => replication(nc, i).catch(() => undefined)));
      const i = seen.findIndex((r) => r?.role === "master");
      if (i < 0) return undefined;
      const live = (seen[i]!.followers ?? []).filter((f) => f.lastFetchAgoMs < c.electionTimeoutMs && f.lagBytes === 0);
      return c.replicas === 1 || live.length === c.replicas - 1 ? i : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    const admin = new Admin(nc);
    await waitUntil(`the NameServer routing to ${BENCH_GROUP}.${master}`, async () =>
      (await admin.cluster()).brokers.some((b) => b.group === BENCH_GROUP && b.replica === master && b.role === "master" && b.liveness === "alive"),
    { timeoutMs: 30_000, intervalMs: 100 });
    const term = async () => (await replication(nc, master))?.term ?? -1;
    return { nc, server, master, masterPid: () => procs[1 + master]!.pid!, replicaPids: () => procs.slice(1).map((p) => p.pid!), term, stop: () => stop() };
  } catch (err) {
    await stop(true);
    const states = seen.map((r, i) => `${BENCH_GROUP}.${i}: ${r ? JSON.stringify(r) : "no answer"}`).join("\n");
    throw new Error(`${(err as Error).message}\nlast replication statuses:\n${states}\nlogs and data kept in ${dir}`);
  }
}
