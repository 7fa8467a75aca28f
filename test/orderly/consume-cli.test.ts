// rbus consume --orderly as a process: prints in queue order, stops after
// --count and commits exactly what it printed, so the next run goes on
// from there; --orderly with --broadcast is a usage error.
import * as assert from "uvu/assert";
import { suite } from "../harness/suite.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { runRbus } from "../harness/processes.js";
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

test("--orderly with --broadcast is a usage error", async ({ c }) => {
  const r = await runRbus(["consume", "--topic", "ordered", "--group", "x", "--orderly", "--broadcast", "--nats", c.server.url]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /--orderly and --broadcast/);
});

test.run();
