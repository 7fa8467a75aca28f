// rbus offset reset --to <time> (mqadmin resetOffsetByTime) against a live
// member, all separate processes: a NameServer, a broker, an `rbus consume`
// that keeps running, and the reset itself. Before, the broker moved the
// committed offsets and the member kept its own position (and committed
// over the reset): it never read the second batch again. Forged and
// malformed notices on rbus.events.reset.<group> must move nothing.
import * as assert from "uvu/assert";
import { join } from "node:path";
import { Admin } from "../../src/client/admin.js";
import { Producer } from "../../src/client/producer.js";
import { encodeJson, subjects } from "../../src/protocol/index.js";
import { runRbus, spawnRbus, type RbusProcess } from "../harness/processes.js";
import { processSuite } from "../harness/process-suite.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const test = processSuite("rbus offset reset: live members follow at once", { jetstream: false });

/** The bodies a consume process printed, in order. */
const consumed = (p: RbusProcess) =>
  p.output().split("\n").filter((l) => l.startsWith('{"msgId"')).map((l) => (JSON.parse(l) as { body: string }).body);
const count = (bodies: string[], body: string) => bodies.filter((b) => b === body).length;

test("a group reset to a time between two batches reads exactly the second batch again; forged notices move nothing", async (ctx) => {
  const url = ctx.server.url;
  const admin = new Admin(ctx.nc);
  ctx.procs.push(spawnRbus(["nameserver", "--nats", url, "--id", "ns-1", "--scan-interval", "200"]));
  ctx.procs.push(spawnRbus(["broker", "--nats", url, "--group", "broker-a", "--data", join(ctx.dir, "a"), "--heartbeat-interval", "500"]));
  await waitUntil("broker registered", async () => (await admin.nameServers()).some((n) => n.liveness.alive === 1));
  await admin.createTopic({ topic: "ledger", queues: 2 });
  await waitUntil("route for the topic", () => admin.route("ledger").then((r) => r.queues.length > 0));

  const producer = await new Producer(ctx.nc).start();
  const send = (batch: string) => Promise.all(Array.from({ length: 6 }, (_, i) => producer.send({ topic: "ledger", body: `${batch}-${i}` })));
  const consumer = spawnRbus(["consume", "--nats", url, "--topic", "ledger", "--group", "books", "--from", "first"]);
  ctx.procs.push(consumer);
  const fail = (err: Error) => {
    throw new Error(`${err.message}\n${consumer.output()}`);
  };

  await send("one");
  await waitUntil("batch 1 consumed", () => consumed(consumer).length === 6, { timeoutMs: 15_000 }).catch(fail);
  // T: after the last store time of batch 1, and before batch 2 is sent
  const stored = Math.max(...(await admin.topicStatus("ledger")).flatMap((s) => s.queues.map((q) => q.lastUpdated)));
  const at = stored + 1;
  await waitUntil("the clock is past T", () => Date.now() > at);
  await send("two");
  await waitUntil("batch 2 consumed", () => consumed(consumer).length === 12, { timeoutMs: 15_000 }).catch(fail);

  const reset = await runRbus(["offset", "reset", "--group", "books", "--topic", "ledger", "--to", String(at), "--nats", url]);
  assert.is(reset.code, 0, reset.stdout + reset.stderr);
  assert.match(reset.stdout, /told 1 live member\(s\) of books/);
  assert.match(reset.stdout, /BROKER\s+QUEUE\s+FROM\s+TO/);
  await waitUntil("batch 2 read again", () => consumed(consumer).length === 18, { timeoutMs: 15_000 }).catch(fail);
  for (let i = 0; i < 6; i++) {
    assert.is(count(consumed(consumer), `one-${i}`), 1, `one-${i} read again`);
    assert.is(count(consumed(consumer), `two-${i}`), 2, `two-${i}`);
  }

  // hostile notices: malformed, and well-formed ones naming offset 0 with a huge epoch
  for (const junk of ["not json {", "null", "[]", '{"type":"reset"}', '{"type":"reset","group":"books","topic":"ledger","broker":"broker-a","queues":[{"queueId":-1,"offset":0,"epoch":1}],"at":0}']) {
    ctx.nc.publish(subj.events.reset("books"), junk);
  }
  const forged = { type: "reset", group: "books", topic: "ledger", broker: "broker-a", at: Date.now(), queues: [0, 1].map((queueId) => ({ queueId, offset: 0, epoch: Number.MAX_SAFE_INTEGER })) };
  ctx.nc.publish(subj.events.reset("books"), encodeJson(forged));
  await ctx.nc.flush();
  await send("three");
  await waitUntil("batch 3 consumed after the forged notices", () => consumed(consumer).length === 24, { timeoutMs: 15_000 }).catch(fail);
  const bodies = consumed(consumer);
  for (let i = 0; i < 6; i++) {
    assert.is(count(bodies, `one-${i}`), 1, `one-${i}: a forged notice moved the member back`);
    assert.is(count(bodies, `two-${i}`), 2, `two-${i}`);
    assert.is(count(bodies, `three-${i}`), 1, `three-${i}`);
  }
  // the re-read is committed: the group's offsets stand at the end, not back before the reset
  await waitUntil("offsets committed at the end", async () => (await admin.consumerProgress("books", "ledger")).every((q) => q.offset === q.maxOffset));
  await producer.close();
});

test.run();
