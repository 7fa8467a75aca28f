// rbus cluster and rbus failover as separate processes against NameServer and broker processes:
// a one-replica group (what every group was before replication), then a three-replica group.
import * as assert from "uvu/assert";
import { join } from "node:path";
import { Admin } from "../../src/client/admin.js";
import { runRbus, spawnRbus } from "../harness/processes.js";
import { processSuite, type ProcessCtx } from "../harness/process-suite.js";
import { waitUntil } from "../harness/wait.js";
import { clusterRows, mastersOf } from "../cli/cluster-rows.js";

const test = processSuite("rbus cluster and rbus failover");

const broker = (ctx: ProcessCtx, group: string, replica: number, ...more: string[]) =>
  spawnRbus(["broker", "--nats", ctx.server.url, "--group", group, "--replica", `${replica}`, "--data", join(ctx.dir, `${group}.${replica}`),
    "--heartbeat-interval", "200", "--flush", "sync", ...more]);

test.before(async (ctx) => {
  ctx.procs.push(spawnRbus(["nameserver", "--nats", ctx.server.url, "--id", "ns-1", "--scan-interval", "100", "--suspect-after", "1000", "--dead-after", "2000"]));
  await waitUntil("the NameServer answers", async () => (await new Admin(ctx.nc).nameServers()).length === 1);
});

test("one replica: its row shows role, term, liveness, commit offset, end and lag; the end moves with sends", async (ctx) => {
  ctx.procs.push(broker(ctx, "solo", 0));
  await waitUntil("solo registered", async () => (await new Admin(ctx.nc).cluster()).brokers.some((b) => b.group === "solo"));
  const sent = await runRbus(["send", "--nats", ctx.server.url, "--topic", "solo-t", "--group", "solo", "--count", "10", "x"]);
  assert.is(sent.code, 0, sent.stderr);

  const out = await runRbus(["cluster", "--nats", ctx.server.url]);
  assert.match(out.stdout, /\nCLUSTER\s+GROUP\s+REPLICA\s+ROLE\s+TERM\s+LIVENESS\s+LAST HEARTBEAT\s+COMMIT\s+END\s+LAG\s+TOPICS\n/);
  const [row] = (await clusterRows(ctx.server.url)).filter((r) => r.GROUP === "solo");
  assert.equal([row!.REPLICA, row!.ROLE, row!.LIVENESS, row!.LAG], ["0", "master", "alive", "0 B"]);
  assert.ok(Number(row!.END) > 0, `the end counts the 10 messages: ${row!.END}`);
  // A replica that reports a commit offset has committed its own appends (sync flush, nobody else to wait for).
  if (row!.COMMIT !== "-") assert.is(row!.COMMIT, row!.END);

  const json = JSON.parse((await runRbus(["cluster", "--nats", ctx.server.url, "--json"])).stdout);
  const solo = json.replicas.find((r: { group: string }) => r.group === "solo");
  assert.equal([solo.replica, solo.role, solo.answered, solo.end], [0, "master", true, Number(row!.END)]);
  assert.ok(Array.isArray(json.nameServers) && Array.isArray(json.brokers));
});

test("rbus failover refuses what it cannot do, saying why", async (ctx) => {
  const solo = await runRbus(["failover", "--nats", ctx.server.url, "--group", "solo"]);
  assert.is(solo.code, 2);
  assert.match(solo.stderr, /group solo has one replica: there is nobody to hand mastership to/);
  const unknown = await runRbus(["failover", "--nats", ctx.server.url, "--broker-group", "nope"]);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /no broker group "nope" in the cluster \(groups: .*solo.*\); check --broker-group/);
});

test("three replicas: one master and two slaves in one term, lag closing to 0, rbus failover --to moves the master", async (ctx) => {
  for (const r of [0, 1, 2]) ctx.procs.push(broker(ctx, "trio", r, "--replicas", "3", "--election-timeout", "1000"));
  const admin = new Admin(ctx.nc);
  await waitUntil("trio has three replicas and a master", async () => {
    const trio = (await admin.cluster()).brokers.filter((b) => b.group === "trio");
    return trio.length === 3 && trio.some((b) => b.role === "master");
  }, { timeoutMs: 15_000 });
  const sent = await runRbus(["send", "--nats", ctx.server.url, "--topic", "trio-t", "--group", "trio", "--count", "100", "y"]);
  assert.is(sent.code, 0, sent.stderr);

  // Every replica answers for itself: every slave caught up with the master's end, and told
  // (by a later fetch reply) that all of it is committed.
  const settled = await waitUntil("the slaves caught up and know the commit offset", async () => {
    const rows = (await clusterRows(ctx.server.url)).filter((r) => r.GROUP === "trio");
    const [master] = mastersOf(rows, "trio");
    if (!master || rows.length !== 3 || rows.some((r) => r.LAG !== "0 B" || r.END !== master.END || r.COMMIT !== master.END)) return false;
    return { rows, master };
  }, { timeoutMs: 20_000, intervalMs: 200 });
  const { rows, master } = settled;
  assert.equal(rows.map((r) => r.ROLE).sort(), ["master", "slave", "slave"]);
  assert.ok(Number(master.END) > 0, `the master's end counts the 100 messages: ${master.END}`);
  assert.ok(Number(master.TERM) >= 1, `an elected master has a term: ${master.TERM}`);
  for (const r of rows) assert.is(r.TERM, master.TERM, `replica ${r.REPLICA} in the master's term`);

  const target = rows.find((r) => r.ROLE === "slave")!.REPLICA!;
  const moved = await runRbus(["failover", "--nats", ctx.server.url, "--broker-group", "trio", "--to", target]);
  assert.is(moved.code, 0, moved.stderr);
  const m = /trio: master is now replica (\d+) \(term (\d+)\); was replica (\d+) \(term (\d+)\)/.exec(moved.stdout);
  assert.ok(m, moved.stdout);
  assert.equal([m![1], m![3]], [target, master.REPLICA]);
  assert.ok(Number(m![2]) > Number(master.TERM), "a handover starts a new term");
  await waitUntil("rbus cluster shows the new master", async () => mastersOf(await clusterRows(ctx.server.url), "trio").map((r) => r.REPLICA).join() === target, {
    timeoutMs: 10_000,
  });
  const already = await runRbus(["failover", "--nats", ctx.server.url, "--broker-group", "trio", "--to", target]);
  assert.match(already.stdout, new RegExp(`replica ${target} is already master of trio`));
});

test.run();
