// PullConsumer against a real nats-server, NameServer and two broker groups.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { PullConsumer, type ConsumedMessage, type PullConsumerOptions } from "../../src/client/pull-consumer.js";
import { queueKey } from "../../src/client/route-cache.js";
import { waitUntil } from "../harness/wait.js";
import { startConsumerCluster, type ConsumerCluster } from "./consumer-cluster.js";

interface Ctx {
  cluster: ConsumerCluster;
  consumers: PullConsumer[];
}
const test = suite<Ctx>("pull consumer");

test.before(async (ctx) => {
  ctx.cluster = await startConsumerCluster();
});
test.after(async (ctx) => {
  await ctx.cluster.stop();
});
test.before.each((ctx) => {
  ctx.consumers = [];
});
test.after.each(async (ctx) => {
  await Promise.all(ctx.consumers.map((c) => c.close()));
});

const fast = { pollWaitMs: 1000, heartbeatMs: 300, rebalanceMs: 2000, commitIntervalMs: 200, retryMs: 50, handoverMs: 300, from: "first" } as const;

function pullConsumer(ctx: Ctx, group: string, opts: Partial<PullConsumerOptions> = {}) {
  const c = new PullConsumer(ctx.cluster.nc, { group, ...fast, ...opts });
  ctx.consumers.push(c);
  return c;
}

/** Polls until `n` messages came (or throws after the wait's deadline). */
async function pollN(c: PullConsumer, n: number): Promise<ConsumedMessage[]> {
  const out: ConsumedMessage[] = [];
  await waitUntil(`${n} polled`, async () => {
    out.push(...(await c.poll(200)));
    return out.length >= n;
  });
  return out;
}

const bodies = (ms: ConsumedMessage[]) => ms.map((m) => Number(m.body.toString())).sort((a, b) => a - b);

test("assign(queues): poll returns their messages, in order per queue", async (ctx) => {
  const queues = await ctx.cluster.createTopic("p-assign");
  await ctx.cluster.send("p-assign", queues, 800);
  const c = pullConsumer(ctx, "pg-assign");
  const mine = queues.slice(0, 3);
  await c.assign(mine);
  await c.start();
  assert.equal(c.assignment().map(queueKey), mine.map(queueKey));
  const got = await pollN(c, 300);
  assert.is(got.length, 300);
  assert.ok(got.every((m) => mine.some((q) => queueKey(q) === `${m.topic}/${m.group}/${m.queueId}`)));
  const last = new Map<string, number>();
  for (const m of got) {
    const k = `${m.group}/${m.queueId}`;
    assert.ok((last.get(k) ?? -1) < m.queueOffset, "in order within a queue");
    last.set(k, m.queueOffset);
  }
  assert.equal(await c.poll(100), [], "nothing more on these queues");
});

test("commit(): another consumer of the group continues after the committed offset", async (ctx) => {
  const queues = await ctx.cluster.createTopic("p-commit");
  await ctx.cluster.send("p-commit", queues, 80);
  const a = pullConsumer(ctx, "pg-commit", { autoCommit: false, maxPollRecords: 1000 });
  await a.assign(queues);
  await a.start();
  const first = await pollN(a, 80);
  await a.commit();
  await a.close();
  await ctx.cluster.send("p-commit", queues, 40, { from: 80 });
  const b = pullConsumer(ctx, "pg-commit");
  await b.assign(queues);
  await b.start();
  const next = await pollN(b, 40);
  assert.equal(bodies(first), Array.from({ length: 80 }, (_, i) => i));
  assert.equal(bodies(next), Array.from({ length: 40 }, (_, i) => 80 + i));
});

test("autoCommit off: close does not commit what was polled but not committed", async (ctx) => {
  const queues = await ctx.cluster.createTopic("p-nocommit");
  await ctx.cluster.send("p-nocommit", queues, 16);
  const a = pullConsumer(ctx, "pg-nocommit", { autoCommit: false, maxPollRecords: 1000 });
  await a.assign(queues);
  await a.start();
  await pollN(a, 16);
  await a.close();
  const b = pullConsumer(ctx, "pg-nocommit");
  await b.assign(queues);
  await b.start();
  assert.is((await pollN(b, 16)).length, 16, "redelivered: never committed");
});

test("seek moves a queue's position", async (ctx) => {
  const queues = await ctx.cluster.createTopic("p-seek", 1);
  const q = queues[0]!;
  await ctx.cluster.send("p-seek", [q], 20);
  const c = pullConsumer(ctx, "pg-seek", { maxPollRecords: 100 });
  await c.assign([q]);
  await c.start();
  assert.is((await pollN(c, 20)).length, 20);
  c.seek(q, 15);
  const again = await pollN(c, 5);
  assert.equal(again.map((m) => m.queueOffset), [15, 16, 17, 18, 19]);
  assert.is(c.position(q), 20);
  assert.throws(() => c.seek({ ...q, queueId: 9 }, 0), /not assigned/);
});

test("subscribe: two members of a group divide the queues and read everything once", async (ctx) => {
  const queues = await ctx.cluster.createTopic("p-group");
  const a = pullConsumer(ctx, "pg-group", { clientId: "pa" }).subscribe("p-group");
  const b = pullConsumer(ctx, "pg-group", { clientId: "pb" }).subscribe("p-group");
  await Promise.all([a.start(), b.start()]);
  await waitUntil("4 + 4", () => a.assignment().length === 4 && b.assignment().length === 4);
  await ctx.cluster.send("p-group", queues, 1000);
  const got: ConsumedMessage[] = [];
  await waitUntil("1000 polled", async () => {
    const [x, y] = await Promise.all([a.poll(100), b.poll(100)]);
    got.push(...x, ...y);
    return got.length >= 1000;
  });
  assert.equal(bodies(got), Array.from({ length: 1000 }, (_, i) => i));
});

test("tags filter in pull mode too", async (ctx) => {
  const queues = await ctx.cluster.createTopic("p-tags");
  await ctx.cluster.send("p-tags", queues, 100, { tag: (i) => (i % 2 ? "odd" : "even") });
  const c = pullConsumer(ctx, "pg-tags", { maxPollRecords: 1000 });
  await c.assign(queues, "odd");
  await c.start();
  const got = await pollN(c, 50);
  assert.ok(got.every((m) => m.tags === "odd"));
});

test.run();
