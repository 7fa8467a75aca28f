// An orderly member cut off the bus while it keeps running (a TCP proxy
// that holds every byte, as a partition does, then lets them through): it
// stops when its lock's trust runs out, the others take its queues once the
// broker expires it, and when the network comes back it neither works a
// queue another member has nor undoes another member's commits with what
// it sent during the cut. Checked over the whole run by checker.ts, the cut
// member's work before the network came back counting as a killed one's.
import * as assert from "uvu/assert";
import { suite } from "../harness/suite.js";
import { startTcpProxy, type TcpProxy } from "../harness/tcp-proxy.js";
import { waitUntil } from "../harness/wait.js";
import { check } from "./checker.js";
import { MEMBER, Members, ORDERLY, createTopic, produce, startCluster, stopCluster, type Ctx } from "./orderly-cluster.js";

const KEYS = 32;
const SEQS = 40;

const test = suite<Ctx & { proxy: TcpProxy }>("an orderly member cut off the bus");

test.before(async (ctx) => {
  Object.assign(ctx, await startCluster());
  ctx.proxy = await startTcpProxy({ port: ctx.server.port });
});
test.after(async (ctx) => {
  await ctx.proxy?.stop();
  await stopCluster(ctx);
});

test("held off the bus and back: per key in order, no gap, no duplicate beyond its cut-off work, one member per queue", async (ctx) => {
  const topic = "cut-ledger";
  await createTopic(ctx, topic);
  const members = new Members(ctx, topic, { ...MEMBER, orderly: ORDERLY });
  members.start("c1", ctx.proxy.url);
  members.start("c2");
  members.start("c3");
  for (const m of ["c1", "c2", "c3"]) await members.ready(m);
  const total = KEYS * SEQS;
  let cutAt = 0;
  let healedAt = 0;
  const sent = await produce(ctx.nc, topic, async (n) => {
    if (n === Math.floor(total * 0.25)) {
      ctx.proxy.cut("hold");
      cutAt = Date.now();
    }
    if (n === Math.floor(total * 0.6)) {
      healedAt = Date.now();
      ctx.proxy.heal();
    }
  }, KEYS, SEQS);
  await waitUntil("every message processed", () => members.processed().size >= sent.length, { timeoutMs: 30_000 });
  for (const m of ["c1", "c2", "c3"]) await members.stop(m);
  const events = [...sent, ...members.all(), { e: "cut" as const, m: "c1", t: cutAt, until: healedAt }];
  const r = check(events);
  const after = members.all().filter((e) => e.e === "end" && e.m === "c1" && e.t > healedAt).length;
  console.log(`  cut for ${healedAt - cutAt} ms: ${r.sent} sent, ${r.processed} listener calls, ${r.redelivered} redelivered, c1 processed ${after} after the network came back`);
  // commits c1 sent during the cut land when it heals: any below what another member had committed there rolled that queue back
  const commits = members.all().filter((e): e is Extract<typeof e, { e: "commit" }> => e.e === "commit");
  const late = commits.filter((k) => k.m === "c1" && k.t > healedAt && k.t < healedAt + 1000);
  const rolledBack = late.filter((k) => commits.some((o) => o.m !== "c1" && o.q === k.q && o.t < k.t && o.o > k.o));
  console.log(`  c1 commits acknowledged in the second after the heal: ${late.length}, below another member's earlier commit: ${rolledBack.length}`);
  assert.equal(r.problems, [], r.problems.join("\n"));
  // the commits held during the cut carry the lock token of c1's old grant: the broker refuses them
  assert.is(rolledBack.length, 0, "no commit of c1's moved a queue back");
  assert.ok(after > 0, "c1 came back and took queues again");
});

test.run();
