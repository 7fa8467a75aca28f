// rbus consume --orderly as a process: prints in queue order, stops after
// --count and commits exactly what it printed, so the next run goes on
// from there; --orderly with --broadcast is a usage error.
import * as assert from "uvu/assert";
import { suite } from "../harness/suite.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { runRbus, spawnRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";
import { Producer } from "../../src/client/producer.js";
import { subjects } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";

const subj = subjects();
const G = "ord-cli";

const test = suite<{ c: TestCluster }>("rbus consume --orderly");

test.before(async (ctx) => {
  ctx.c = await startTestCluster([G], { jetstream: false, broker: { lockLeaseMs: 300 } });
  await requestJson(ctx.c.nc, subj.broker(G, 0, "topic.upsert"), { topic: "ordered", readQueues: 1, writeQueues: 1, perm: "rw" });
  const producer = await new Producer(ctx.c.nc).start();
  for (let i = 0; i < 6; i++) await producer.send({ topic: "ordered", body: `m${i}` });
  await producer.close();
});
test.after(async (ctx) => ctx.c.stop());

const consume = (c: TestCluster, count: number) =>
  runRbus(["consume", "--topic", "ordered", "--group", "cli-ledger", "--orderly", "--from", "first", "--count", String(count), "--nats", c.server.url], 30_000);
const bodies = (stdout: string) => stdout.trim().split("\n").map((l) => (JSON.parse(l) as { body: string }).body);

test("two runs print the queue in order, each exactly its --count, the second from where the first committed", async ({ c }) => {
  const first = await consume(c, 4);
  assert.is(first.code, 0, first.stderr);
  assert.equal(bodies(first.stdout), ["m0", "m1", "m2", "m3"]);
  const second = await consume(c, 2);
  assert.is(second.code, 0, second.stderr);
  assert.equal(bodies(second.stdout), ["m4", "m5"]);
});

test("rbus progress says which member holds each queue's lock while an orderly member runs", async ({ c }) => {
  const member = spawnRbus(["consume", "--topic", "ordered", "--group", "cli-watch", "--orderly", "--client-id", "watcher-1", "--nats", c.server.url]);
  try {
    const row = await waitUntil("the lock shown", async () => {
      const r = await runRbus(["progress", "cli-watch", "--topic", "ordered", "--json", "--nats", c.server.url]);
      const rows = r.code === 0 ? (JSON.parse(r.stdout) as { queues: Array<{ lockedBy?: string }> }).queues : [];
      return rows[0]?.lockedBy !== undefined && rows[0];
    }, { timeoutMs: 15_000 });
    assert.is(row.lockedBy, "watcher-1");
    const text = await runRbus(["progress", "cli-watch", "--topic", "ordered", "--nats", c.server.url]);
    assert.match(text.stdout, /LOCKED BY/);
    assert.match(text.stdout, /\swatcher-1\s*$/m, "the LOCKED BY column, last");
  } finally {
    assert.is(await member.kill("SIGTERM"), 0, member.output());
  }
});

test("--orderly with --broadcast is a usage error", async ({ c }) => {
  const r = await runRbus(["consume", "--topic", "ordered", "--group", "x", "--orderly", "--broadcast", "--nats", c.server.url]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /--orderly and --broadcast/);
});

test.run();
