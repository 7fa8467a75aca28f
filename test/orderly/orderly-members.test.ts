// Orderly consumption with queue locks, all in separate processes: a
// NameServer and a broker (rbus nameserver / rbus broker), and orderly
// members (member-worker.ts) that join, are SIGKILLed and stop cleanly
// while a producer sends per-key sequences over 8 queues. The checker
// (checker.ts) then reads every journal: per key strictly in order, no gap,
// no duplicate beyond a killed member's uncommitted tail, and never two
// members in one queue at once.
import * as assert from "uvu/assert";
import { suite } from "../harness/suite.js";
import { waitUntil } from "../harness/wait.js";
import { check } from "./checker.js";
import { KEYS, MEMBER, Members, ORDERLY, SEQS, createTopic, produce, startCluster, stopCluster, type Ctx } from "./orderly-cluster.js";

const test = suite<Ctx>("orderly members in separate processes");

test.before(async (ctx) => {
  Object.assign(ctx, await startCluster());
});
test.after(async (ctx) => {
  await stopCluster(ctx);
});

test("members join, are SIGKILLed and stop cleanly: per key in order, no gap, no duplicate, one member per queue", async (ctx) => {
  const topic = "orderly-ledger";
  await createTopic(ctx, topic);
  const members = new Members(ctx, topic, { ...MEMBER, orderly: ORDERLY });
  for (const m of ["m1", "m2", "m3"]) members.start(m);
  for (const m of ["m1", "m2", "m3"]) await members.ready(m);
  const total = KEYS * SEQS;
  const plan = new Map<number, () => Promise<void>>([
    [Math.floor(total * 0.15), () => members.kill("m1")],
    [Math.floor(total * 0.25), async () => members.start("m4")],
    [Math.floor(total * 0.4), () => members.stop("m2")],
    [Math.floor(total * 0.5), async () => members.start("m5")],
    [Math.floor(total * 0.65), () => members.kill("m3")],
    [Math.floor(total * 0.75), async () => members.start("m6")],
    [Math.floor(total * 0.85), () => members.stop("m4")],
  ]);
  const startedAt = Date.now();
  const sent = await produce(ctx.nc, topic, async (n) => plan.get(n)?.());
  const sentAt = Date.now();
  await waitUntil("every message processed", () => members.processed().size >= sent.length, { timeoutMs: 30_000 });
  for (const m of ["m5", "m6"]) await members.stop(m);
  const r = check([...sent, ...members.all()]);
  console.log(`  orderly: ${r.sent} sent in ${sentAt - startedAt} ms, ${r.processed} listener calls, ${r.redelivered} redelivered after the two SIGKILLs, all done ${Date.now() - sentAt} ms after the last send`);
  const perMember = new Map<string, number>();
  for (const e of members.all()) if (e.e === "end") perMember.set(e.m, (perMember.get(e.m) ?? 0) + 1);
  console.log(`  listener calls per member: ${[...perMember].map(([m, n]) => `${m} ${n}`).join(", ")}`);
  assert.equal(r.problems, [], r.problems.join("\n"));
  for (const m of ["m1", "m2", "m3", "m4", "m5", "m6"]) assert.ok((perMember.get(m) ?? 0) > 0, `${m} processed some messages`);
  assert.is(r.sent, total);
});

test("without queue locks (orderly off) the checker sees a joining member redo what another still had", async (ctx) => {
  const topic = "unlocked-ledger";
  await createTopic(ctx, topic);
  // plain delivery, one message at a time per queue, each held 3 s: u2 joins while u1 is in the first message of
  // every queue it has, takes half of them from the committed offset (nothing is committed while a message is in
  // hand), and begins a message u1 is still in. Shorter listeners made this a race: u1 could be done with a queue,
  // and have committed it on release, before u2 read its offset.
  const members = new Members(ctx, topic, { ...MEMBER, commitIntervalMs: 10_000, listenerMs: 3000 });
  members.start("u1");
  await members.ready("u1");
  const sent = await produce(ctx.nc, topic, async () => {}, 8, 2, 0);
  await waitUntil("u1 in a message", () => members.all().some((e) => e.e === "begin"));
  members.start("u2");
  await waitUntil("every message processed", () => members.processed().size >= sent.length, { timeoutMs: 30_000 });
  for (const m of ["u1", "u2"]) await members.stop(m);
  const r = check([...sent, ...members.all()]);
  console.log(`  without locks: ${r.problems.length} problems found, e.g. ${r.problems[0]}`);
  assert.ok(r.problems.some((p) => /processed again|while .* was in offset/.test(p)), r.problems.join("\n"));
});

test.run();
