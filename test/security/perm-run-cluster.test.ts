// `rbus run-cluster` with the shipped nats.conf (on ports of its own): it
// writes the users first, each node connects as its own user and meets no
// refusal (nats-server logs none), a command without credentials is told
// which flags to give, and with them it works. --no-auth says loudly that
// the bus is open, and then anyone may connect.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readSeed } from "../../src/auth/seeds.js";
import { runRbus, spawnRbus, type RbusProcess } from "../harness/processes.js";
import { brokerTable, mastersOf } from "../cli/cluster-rows.js";
import { testNatsConf } from "../harness/secure-nats.js";
import { waitUntil } from "../harness/wait.js";

const shipped = fileURLToPath(new URL("../../../cluster.json", import.meta.url));

interface Ctx {
  dir: string;
  launcher: RbusProcess;
  url: string;
}

/** A cluster.json of one NameServer and one group of `replicas`, beside the shipped nats.conf made to listen on free ports. */
async function launch(ctx: Ctx, replicas: number, flags: string[] = []): Promise<void> {
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-secure-run-"));
  const data = join(ctx.dir, "data");
  mkdirSync(data);
  writeFileSync(join(ctx.dir, "nats.conf"), testNatsConf(ctx.dir, { port: -1, accountsFile: join(data, "auth", "accounts.conf") }));
  const config = JSON.parse(readFileSync(shipped, "utf8"));
  Object.assign(config, { dataDir: data, nameServers: ["ns-1"], groups: [{ name: "broker-a", replicas }] });
  config.nats.config = join(ctx.dir, "nats.conf");
  config.dashboard = { port: 0 }; // any free port: the summary says which
  writeFileSync(join(ctx.dir, "cluster.json"), JSON.stringify(config));
  ctx.launcher = spawnRbus(["run-cluster", "--config", join(ctx.dir, "cluster.json"), ...flags]);
  await waitUntil("run-cluster says it is running", () => ctx.launcher.output().includes("Ctrl-C stops everything") || ctx.launcher.proc.exitCode !== null, {
    timeoutMs: 60_000,
  });
  assert.ok(ctx.launcher.proc.exitCode === null, ctx.launcher.output());
  ctx.url = /NATS\s+(nats:\/\/\S+)/.exec(ctx.launcher.output())![1]!;
}

async function stop(ctx: Ctx): Promise<void> {
  if (ctx.launcher.proc.exitCode === null) await ctx.launcher.kill("SIGTERM");
  rmSync(ctx.dir, { recursive: true, force: true });
}

const auth = (ctx: Ctx, user: string) => ["--nkey", join(ctx.dir, "data", "auth", `${user}.nk`), "--inbox-prefix", `_INBOX.${user}`];

const test = suite<Ctx>("run-cluster: secure by default");
test.before((ctx) => launch(ctx, 3));
test.after((ctx) => stop(ctx));

test("writes a private seed per node and says how to connect", (ctx) => {
  const out = ctx.launcher.output();
  assert.match(out, /authentication on: one NATS user per node/);
  assert.match(out, /export NATS_NKEY=\S+admin\.nk NATS_INBOX_PREFIX=_INBOX\.admin/);
  assert.match(out, /nats --nkey \S+dashboard\.nk --inbox-prefix _INBOX\.dashboard sub 'rbus\.events\.>'/);
  const dir = join(ctx.dir, "data", "auth");
  assert.is(statSync(dir).mode & 0o777, 0o700);
  for (const user of ["ns-1", "broker-a-0", "broker-a-1", "broker-a-2", "admin", "producer", "consumer-billing"]) {
    assert.is(statSync(join(dir, `${user}.nk`)).mode & 0o777, 0o600, user);
  }
  assert.match(readFileSync(join(ctx.dir, "data", "logs", "broker-a.0.log"), "utf8"), /--nkey \S+broker-a-0\.nk --inbox-prefix _INBOX\.broker-a-0/);
});

test("a command without credentials fails saying which flags or variables to give", async (ctx) => {
  const r = await runRbus(["cluster", "--nats", ctx.url]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /--nkey/);
  assert.match(r.stderr, /NATS_NKEY/);
});

test("with the admin's credentials rbus cluster lists a master and two slaves", async (ctx) => {
  const r = await waitUntil("rbus cluster shows the group", async () => {
    const out = await runRbus(["cluster", "--nats", ctx.url, ...auth(ctx, "admin")]);
    return out.code === 0 && /master/.test(out.stdout) && (out.stdout.match(/slave/g) ?? []).length === 2 && out;
  }, { timeoutMs: 20_000, intervalMs: 500 });
  assert.ok(r);
});

test("a producer sends and billing's consumer reads it back, each with its own user", async (ctx) => {
  const sent = await runRbus(["send", "--nats", ctx.url, ...auth(ctx, "producer"), "--topic", "orders", "hello secured"]);
  assert.is(sent.code, 0, sent.stderr);
  const got = await runRbus(["consume", "--nats", ctx.url, ...auth(ctx, "consumer-billing"), "--topic", "orders", "--group", "billing", "--from", "first", "--count", "1"]);
  assert.is(got.code, 0, got.stderr);
  assert.match(got.stdout, /hello secured/);
});

test("the producer's user may not create topics", async (ctx) => {
  const r = await runRbus(["topic", "create", "--nats", ctx.url, ...auth(ctx, "producer"), "--topic", "forbidden", "--queues", "2"]);
  assert.is.not(r.code, 0, r.stdout);
});

test("admin's rbus failover hands mastership to another replica (ha.transfer, votes: within the group's rights)", async (ctx) => {
  const master = async () => {
    const out = await runRbus(["cluster", "--nats", ctx.url, ...auth(ctx, "admin")]);
    return out.code === 0 ? mastersOf(brokerTable(out.stdout), "broker-a")[0] : undefined;
  };
  const before = (await master())!;
  const r = await runRbus(["failover", "--nats", ctx.url, ...auth(ctx, "admin"), "--group", "broker-a"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  await waitUntil("another master at a higher term", async () => {
    const now = await master();
    return now && now.REPLICA !== before.REPLICA && Number(now.TERM) > Number(before.TERM);
  }, { timeoutMs: 20_000, intervalMs: 300 });
});

test("the dashboard runs as the read-only dashboard user and shows the cluster", async (ctx) => {
  const log = readFileSync(join(ctx.dir, "data", "logs", "dashboard.log"), "utf8");
  assert.match(log, /dashboard --port 0 --host 127\.0\.0\.1 --nkey \S+dashboard\.nk --inbox-prefix _INBOX\.dashboard/);
  const url = /^ {2}dashboard\s+(http:\/\/\S+)$/m.exec(ctx.launcher.output())![1]!;
  await waitUntil("the group's three replicas on the dashboard", async () => {
    const snap = (await (await fetch(new URL("/api/snapshot", url))).json()) as { cluster: { brokers: unknown[] } };
    return snap.cluster.brokers.length === 3;
  }, { timeoutMs: 10_000, intervalMs: 250 });
  assert.is((await fetch(new URL("/metrics", url))).status, 200);
});

test("no node met a permissions violation (only the producer above did)", (ctx) => {
  const log = readFileSync(join(ctx.dir, "data", "logs", "nats-server.log"), "utf8");
  const producer = readSeed(join(ctx.dir, "data", "auth", "producer.nk"));
  const refused = log.split("\n").filter((l) => /Violation/.test(l));
  assert.ok(refused.length > 0 && refused.every((l) => l.includes(producer)), refused.join("\n"));
});

test.run();

const open = suite<Ctx>("run-cluster --no-auth");
open.before((ctx) => launch(ctx, 1, ["--no-auth"]));
open.after((ctx) => stop(ctx));

open("says loudly that the bus is open, and anyone connects", async (ctx) => {
  assert.match(ctx.launcher.output(), /AUTHENTICATION IS OFF \(--no-auth\): the bus is OPEN/);
  const r = await runRbus(["cluster", "--nats", ctx.url]);
  assert.is(r.code, 0, r.stderr);
});

open.run();
