// The launcher's own death leaves nothing behind: `rbus run-cluster` killed
// with SIGKILL (no handler of its own runs) still stops nats-server, the
// NameServer, the broker and the dashboard, within a deadline; and the next
// start on the same data folder succeeds (no busy port, no stale pid file).
// SIGTERM, SIGINT and SIGHUP stop it cleanly, with nothing left either.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isRunning } from "../../src/cluster/pid-file.js";
import { spawnRbus, type RbusProcess } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

const shipped = fileURLToPath(new URL("../../../cluster.json", import.meta.url));
const READY = "Ctrl-C stops everything";

interface Ctx {
  dir: string;
  config: string;
  launchers: RbusProcess[];
}

const test = suite<Ctx>("run-cluster: no node outlives the launcher");

/** A small cluster (one NameServer, one broker) on ports of its own, in `dir`. */
function writeConfig(dir: string): string {
  writeFileSync(join(dir, "nats.conf"), [`host: 127.0.0.1`, `port: -1`, `jetstream { store_dir: "${join(dir, "jetstream")}" }`].join("\n"));
  const config = JSON.parse(readFileSync(shipped, "utf8"));
  config.nats.config = join(dir, "nats.conf");
  config.dataDir = join(dir, "data");
  config.nameServers = ["ns-1"];
  config.groups = [{ name: "broker-a", replicas: 1 }];
  config.dashboard = { port: 0 };
  writeFileSync(join(dir, "cluster.json"), JSON.stringify(config));
  return join(dir, "cluster.json");
}

async function start(ctx: Ctx): Promise<RbusProcess> {
  const launcher = spawnRbus(["run-cluster", "--config", ctx.config]);
  ctx.launchers.push(launcher);
  await waitUntil("run-cluster says it is running", () => launcher.output().includes(READY) || launcher.proc.exitCode !== null, { timeoutMs: 60_000 });
  assert.ok(launcher.proc.exitCode === null, launcher.output());
  return launcher;
}

/** NODE → PID, from the summary table (every node, nats-server included). */
function pidsOf(output: string): Map<string, number> {
  const rows = output.matchAll(/^(\S+)\s+(?:nats-server|nameserver|broker|dashboard)\s+(?:\S+\s+\d+\s+)?(\d+)\s+\/\S+\.log$/gm);
  return new Map([...rows].map((m) => [m[1]!, Number(m[2])]));
}

/** Processes whose command line names `dir` (every node's does, and the watchdog's), this test's own excepted. */
function processesNaming(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue;
    }
    if (cmdline.includes(dir) && isRunning(Number(entry))) found.push(`${entry}: ${cmdline.trim()}`);
  }
  return found;
}

test.before((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-orphans-"));
  ctx.config = writeConfig(ctx.dir);
  ctx.launchers = [];
});

test.after(async (ctx) => {
  for (const l of ctx.launchers) if (l.proc.exitCode === null && l.proc.signalCode === null) await l.kill("SIGTERM");
  rmSync(ctx.dir, { recursive: true, force: true });
});

test("no child outlives the launcher's SIGKILL, and the next start on the same data folder succeeds", async (ctx) => {
  const first = await start(ctx);
  const pids = pidsOf(first.output());
  assert.equal([...pids.keys()].sort(), ["broker-a.0", "dashboard", "nats-server", "ns-1"], first.output());
  for (const [name, pid] of pids) assert.ok(isRunning(pid), `${name} (pid ${pid}) runs`);

  await first.kill("SIGKILL");
  await waitUntil(
    "every child of the killed launcher gone",
    () => [...pids].every(([, pid]) => !isRunning(pid)),
    { timeoutMs: 15_000, intervalMs: 100 },
  ).catch(() => {
    const left = [...pids].filter(([, pid]) => isRunning(pid)).map(([name, pid]) => `${name} (pid ${pid})`);
    throw new Error(`still running after the launcher's SIGKILL: ${left.join(", ")}`);
  });
  await waitUntil("no process of this cluster left (the watchdog neither)", () => processesNaming(ctx.dir).length === 0, { timeoutMs: 5_000 }).catch(() => {
    throw new Error(`left running:\n${processesNaming(ctx.dir).join("\n")}`);
  });

  const second = await start(ctx);
  assert.not.match(second.output(), /already running|address already in use/);
  assert.is(pidsOf(second.output()).size, 4, second.output());
  await stopWith(second, "SIGTERM", ctx.dir);
});

test("SIGINT and SIGHUP stop every node too, and the watchdog with them", async (ctx) => {
  for (const signal of ["SIGINT", "SIGHUP"] as const) await stopWith(await start(ctx), signal, ctx.dir);
});

/** The launcher stops cleanly on `signal` (exit 0, "stopped."), leaving no process that names `dir`. */
async function stopWith(launcher: RbusProcess, signal: NodeJS.Signals, dir: string): Promise<void> {
  assert.is(await launcher.kill(signal), 0, launcher.output());
  assert.match(launcher.output(), /stopped\./);
  await waitUntil(`nothing left after ${signal}`, () => processesNaming(dir).length === 0, { timeoutMs: 5_000 }).catch(() => {
    throw new Error(`left running after ${signal}:\n${processesNaming(dir).join("\n")}`);
  });
}

test.run();
