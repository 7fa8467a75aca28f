// Reading from slaves (RocketMQ's suggestPullingFromSlave): a consumer far
// behind the end of the log (here more than --read-from-slave-bytes 8192)
// is told by the master to pull from a caught-up slave, and by the slave to
// go back to the master once it is close to the end. Nothing is skipped
// or read twice on the way, over the wire and through the client.
import * as assert from "uvu/assert";
import { BrokerClient } from "../../src/client/broker-client.js";
import { RouteCache } from "../../src/client/route-cache.js";
import { subjects } from "../../src/protocol/index.js";
import { createTopic, failoverSuite } from "../harness/failover-suite.js";
import { bodyOf, pullFrom, sendTo } from "../harness/replica-io.js";

const TOPIC = "far-behind";
const LIMIT = 8192;
const COUNT = 300;
const subj = subjects();
const { test, it } = failoverSuite("failover: a consumer far behind reads from a slave", {
  electionTimeoutMs: 1000,
  brokerArgs: ["--read-from-slave-bytes", String(LIMIT)],
});

const body = (n: number) => `${String(n).padStart(6, "0")}-${"x".repeat(1000)}`;

async function fill(ctx: Parameters<Parameters<typeof it>[1]>[0]) {
  const g = ctx.group;
  await createTopic(ctx, TOPIC, 1);
  const m = await g.waitMaster();
  for (let n = 0; n < COUNT; n++) assert.is((await sendTo(ctx.nc, g.group, m.replica, TOPIC, body(n), { queueId: 0 })).status, "SEND_OK");
  for (const i of [0, 1, 2].filter((x) => x !== m.replica)) await g.waitCaughtUp(i);
  return m;
}

it("over the wire: the master names a slave, the slave names the master near the end", async (ctx) => {
  const g = ctx.group;
  const m = await fill(ctx);
  const masterAddress = subj.brokerBase(g.group, m.replica);
  const first = await pullFrom(ctx.nc, g.group, m.replica, { topic: TOPIC, queueId: 0, from: 0, max: 32 });
  assert.is(first.messages.length, 32);
  assert.ok(first.readFrom, `the master's reply to a reader ${COUNT} KB behind names where to read next: ${JSON.stringify({ ...first, messages: first.messages.length })}`);
  const slave = [0, 1, 2].find((i) => i !== m.replica && subj.brokerBase(g.group, i) === first.readFrom);
  assert.ok(slave !== undefined, `readFrom ${first.readFrom} is a slave of the group`);

  const read = first.messages.map(bodyOf).map(String);
  let offset = first.nextOffset;
  let backAt: number | undefined;
  while (backAt === undefined && offset < COUNT) {
    const r = await pullFrom(ctx.nc, g.group, slave!, { topic: TOPIC, queueId: 0, from: offset, max: 8 });
    read.push(...r.messages.map((x) => bodyOf(x).toString()));
    offset = r.nextOffset;
    if (r.readFrom === masterAddress) backAt = offset;
    else assert.is(r.readFrom, undefined, `a slave names only the master: ${r.readFrom}`);
  }
  assert.ok(backAt !== undefined, `the slave sent the reader back to the master (read up to ${offset} of ${COUNT})`);
  assert.ok(COUNT - backAt! <= (LIMIT / 1000) + 2, `sent back near the end: at ${backAt} of ${COUNT}`);
  while (offset < COUNT) {
    const r = await pullFrom(ctx.nc, g.group, m.replica, { topic: TOPIC, queueId: 0, from: offset, max: 32 });
    assert.is(r.readFrom, undefined, "a caught-up reader stays on the master");
    read.push(...r.messages.map((x) => bodyOf(x).toString()));
    offset = r.nextOffset;
  }
  assert.equal(read, Array.from({ length: COUNT }, (_, n) => body(n)), "every message once, in order");
});

it("through the client: the queue is read from a slave, then from the master again, nothing skipped", async (ctx) => {
  const g = ctx.group;
  const m = await fill(ctx);
  const client = new BrokerClient(ctx.nc, new RouteCache(ctx.nc));
  const q = { topic: TOPIC, group: g.group, queueId: 0 };
  const read: string[] = [];
  const places: Array<string | undefined> = [];
  for (let offset = 0; offset < COUNT; ) {
    const r = await client.pull("far-behind-readers", q, offset, 16, 0);
    read.push(...r.messages.map((x) => x.body.toString()));
    offset = r.nextOffset;
    places.push(client.readsFrom(q));
  }
  const slaves = places.filter((p) => p !== undefined);
  assert.ok(slaves.length > 0, "some pulls went to a slave");
  assert.ok(slaves.every((p) => p !== subj.brokerBase(g.group, m.replica)), "readsFrom names a slave, never the master");
  assert.is(places.at(-1), undefined, "back on the master at the end");
  assert.equal(read, Array.from({ length: COUNT }, (_, n) => body(n)), "every message once, in order");
});

test.run();
