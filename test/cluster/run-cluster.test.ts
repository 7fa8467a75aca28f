// `rbus run-cluster` with the shipped cluster.json (2 groups × 3 replicas),
// on a nats-server port of its own: every replica starts with its own data
// folder and shows in the summary and in `rbus cluster`; kill -9 a master and
// another replica of its group takes over while sends carry on; the
// dashboard it starts answers at the address the summary prints; Ctrl-C
// (SIGINT), SIGTERM and a closed terminal (SIGHUP) stop everything.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DashboardSnapshot } from "../../src/dashboard/api.js";
import { runRbus, spawnRbus, type RbusProcess } from "../harness/processes.js";
import { clusterRows, mastersOf } from "../cli/cluster-rows.js";
import { waitUntil } from "../harness/wait.js";

const shipped = fileURLToPath(new URL("../../../cluster.json", import.meta.url));

interface Ctx {
  dir: string;
  launcher: RbusProcess;
  url: string;
  /** "broker-a.0" → pid, and "dashboard" → pid, from the summary table. */
  pids: Map<string, number>;
  dashboard: string;
}

const test = suite<Ctx>("run-cluster: 2 groups × 3 replicas");

test.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-run-cluster-"));
  writeFileSync(join(ctx.dir, "nats.conf"), [`host: 127.0.0.1`, `port: -1`, `max_payload: 8MB`, `jetstream { store_dir: "${join(ctx.dir, "jetstream")}" }`].join("\n"));
  const config = JSON.parse(readFileSync(shipped, "utf8"));
  config.nats.config = join(ctx.dir, "nats.conf");
  config.dataDir = join(ctx.dir, "data");
  config.dashboard = { port: 0 }; // any free port: the summary says which
  writeFileSync(join(ctx.dir, "cluster.json"), JSON.stringify(config));
  ctx.launcher = spawnRbus(["run-cluster", "--config", join(ctx.dir, "cluster.json")]);
  await waitUntil("run-cluster says it is running", () => ctx.launcher.output().includes("Ctrl-C stops everything") || ctx.launcher.proc.exitCode !== null, {
    timeoutMs: 60_000,
  });
  assert.ok(ctx.launcher.proc.exitCode === null, ctx.launcher.output());
  ctx.url = /NATS\s+(nats:\/\/\S+)/.exec(ctx.launcher.output())![1]!;
  ctx.pids = new Map([...ctx.launcher.output().matchAll(/^(broker-[ab]\.\d)\s+broker\s+\S+\s+\d+\s+(\d+)\s/gm)].map((m) => [m[1]!, Number(m[2])]));
  ctx.dashboard = /^ {2}dashboard\s+(http:\/\/\S+)$/m.exec(ctx.launcher.output())?.[1] ?? "";
  const dashboardPid = /^dashboard\s+dashboard\s+(\d+)\s/m.exec(ctx.launcher.output())?.[1];
  if (dashboardPid) ctx.pids.set("dashboard", Number(dashboardPid));
});

test.after(async (ctx) => {
  if (ctx.launcher.proc.exitCode === null) await ctx.launcher.kill("SIGKILL"); // its children die with it (killOnExit)
  rmSync(ctx.dir, { recursive: true, force: true });
});

test("the summary and rbus cluster list six replicas, one master per group, each with its own data folder", async (ctx) => {
  assert.match(ctx.launcher.output(), /^  … .*(NameServers answer|no master yet)/m, "start-up says what it is still waiting for");
  assert.equal([...ctx.pids.keys()].sort(), ["broker-a.0", "broker-a.1", "broker-a.2", "broker-b.0", "broker-b.1", "broker-b.2", "dashboard"]);
  for (const name of [...ctx.pids.keys()].filter((n) => n !== "dashboard")) assert.ok(existsSync(join(ctx.dir, "data", "brokers", name)), `data folder of ${name}`);
  const rows = await clusterRows(ctx.url);
  assert.equal(rows.map((r) => `${r.GROUP}.${r.REPLICA}`), ["broker-a.0", "broker-a.1", "broker-a.2", "broker-b.0", "broker-b.1", "broker-b.2"]);
  for (const group of ["broker-a", "broker-b"]) {
    assert.is(mastersOf(rows, group).length, 1, `one master in ${group}: ${JSON.stringify(rows)}`);
    assert.is(rows.filter((r) => r.GROUP === group && r.ROLE === "slave").length, 2);
  }
  for (const r of rows) assert.match(r.END!, /^\d+$/, `${r.GROUP}.${r.REPLICA} reports its log end`);
});

test("the summary prints the dashboard's address, and the dashboard shows every node", async (ctx) => {
  assert.match(ctx.dashboard, /^http:\/\/127\.0\.0\.1:\d+\/$/, ctx.launcher.output());
  const snap = await waitUntil("all six replicas on the dashboard", async () => {
    const s = (await (await fetch(new URL("/api/snapshot", ctx.dashboard))).json()) as DashboardSnapshot;
    return s.cluster.brokers.length === 6 && s.cluster.nameServers.length === 2 ? s : undefined;
  }, { timeoutMs: 10_000, intervalMs: 250 });
  assert.equal(snap.cluster.nameServers.map((n) => n.nameServer), ["ns-1", "ns-2"]);
  const log = readFileSync(join(ctx.dir, "data", "logs", "dashboard.log"), "utf8");
  assert.match(log, /"msg":"started by run-cluster".*main\.js dashboard --port 0 --host 127\.0\.0\.1 --nats /);
  assert.not.match(log, /Permissions Violation|"level":"(warn|error)"/i, log);
});

test("kill -9 a master: rbus cluster shows another master at a higher term, and sends carry on", async (ctx) => {
  const before = mastersOf(await clusterRows(ctx.url), "broker-a")[0]!;
  process.kill(ctx.pids.get(`broker-a.${before.REPLICA}`)!, "SIGKILL");
  const after = await waitUntil(
    "a new master of broker-a",
    async () => mastersOf(await clusterRows(ctx.url), "broker-a").find((r) => r.REPLICA !== before.REPLICA && Number(r.TERM) > Number(before.TERM)),
    { timeoutMs: 20_000, intervalMs: 250 },
  );
  assert.ok(after);
  // The producer keeps sending: a message pinned to no queue goes wherever a master takes it.
  const sent = await runRbus(["send", "--nats", ctx.url, "--topic", "orders", "--count", "200", "after the kill"]);
  assert.is(sent.code, 0, sent.stderr);
});

test("closing its terminal (SIGHUP) stops every node, as Ctrl-C and SIGTERM do", async (ctx) => {
  // by default SIGHUP would end the launcher alone, leaving its nodes (in their own process groups) running
  assert.is(await ctx.launcher.kill("SIGHUP"), 0, ctx.launcher.output());
  assert.match(ctx.launcher.output(), /stopped\./);
  for (const [name, pid] of ctx.pids) {
    assert.throws(() => process.kill(pid, 0), `${name} (pid ${pid}) is gone`);
  }
});

test.run();
