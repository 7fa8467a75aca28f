// --failover manual, RocketMQ before 4.5: replica 0 is master for good.
// Killed, nobody takes over (the slaves keep their role and term and
// refuse sends), consumers read on from a slave, and the master restarted
// takes sends again with every acknowledged message in place.
import * as assert from "uvu/assert";
import { BrokerClient } from "../../src/client/broker-client.js";
import { RouteCache } from "../../src/client/route-cache.js";
import { createTopic, failoverSuite } from "../harness/failover-suite.js";
import { sendTo } from "../harness/replica-io.js";
import { waitUntil } from "../harness/wait.js";

const TOPIC = "manual";
const COUNT = 40;
/** The default election timeout: an automatic group would have elected within it. */
const WATCH_MS = 3000;
const { test, it } = failoverSuite("failover: manual (RocketMQ before 4.5)", { failover: "manual", ack: "quorum" });

it("the master dies: no election, sends refused, reads go on from a slave; restarted, it is master again", async (ctx) => {
  const g = ctx.group;
  await createTopic(ctx, TOPIC, 1);
  const m = await g.waitMaster();
  assert.is(m.replica, 0, "replica 0 is the master");
  for (let n = 0; n < COUNT; n++) assert.is((await sendTo(ctx.nc, g.group, 0, TOPIC, `m${n}`, { queueId: 0 })).status, "SEND_OK");
  for (const i of [1, 2]) await g.waitCaughtUp(i);

  await g.kill(0);
  const client = new BrokerClient(ctx.nc, new RouteCache(ctx.nc));
  const read: string[] = [];
  let offset = 0;
  await waitUntil("every message read with the master down", async () => {
    const r = await client.pull("manual-readers", { topic: TOPIC, group: g.group, queueId: 0 }, offset, 16, 0);
    read.push(...r.messages.map((x) => x.body.toString()));
    offset = r.nextOffset;
    return offset >= COUNT;
  }, { timeoutMs: 10_000 });
  assert.equal(read, Array.from({ length: COUNT }, (_, n) => `m${n}`), "every acknowledged message, read from a slave");

  const refused = await sendTo(ctx.nc, g.group, 1, TOPIC, "to a slave", { queueId: 0 }).then((r) => r.status, (e: Error & { code?: string }) => e.code);
  assert.is(refused, "NOT_MASTER");
  // The watch is the fault's schedule, not a wait for state: an automatic group would elect within it.
  const until = Date.now() + WATCH_MS;
  while (Date.now() < until) {
    for (const i of [1, 2]) {
      const s = await g.status(i);
      if (s) assert.equal([s.role, s.term], ["slave", m.term], `replica ${i} keeps its role and term`);
    }
  }

  await g.restart(0);
  const back = await g.waitMaster();
  assert.equal([back.replica, back.term], [0, m.term], "replica 0 is master again, in the same term");
  await waitUntil("a send on the restarted master", async () => (await sendTo(ctx.nc, g.group, 0, TOPIC, "after", { queueId: 0 })).status === "SEND_OK");
});

test.run();
