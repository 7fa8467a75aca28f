// Halves pending when a replicated group's master is killed: the new
// master waits for its inherited log to be committed, rebuilds the ledger
// from the half and op queues (copied to it as any topic is), checks the
// pending halves and settles each once; what the old master settled
// stays settled.
import * as assert from "uvu/assert";
import { Producer } from "../../src/client/producer.js";
import { waitUntil } from "../harness/wait.js";
import { events, FAST_CHECKS, Member, Seen, startGroup, stored, TOPIC, txSuite } from "./tx-harness.js";

const GROUP = "tx-f";
const test = txSuite("halves across a master kill");

test("a new master checks the old master's pending halves, settles each once, and keeps its settles", async (ctx) => {
  const group = await startGroup(ctx, GROUP, 3, [...FAST_CHECKS, "--transaction-check-max", "100000"]);
  const settled = events(ctx.nc, "pg-f");
  const sender = new Member(ctx, "pg-f", { halves: 4, tag: "P" });
  await sender.ready();
  await sender.proc.kill("SIGKILL");
  const producer = await new Producer(ctx.nc, { group: "pg-f", retryBudgetMs: 20_000 }).start();
  try {
    const x = await producer.sendHalf({ topic: TOPIC, body: "X:committed-before" });
    assert.ok((await x.commit()).settled);
    const old = await group.waitMaster();
    for (const i of [0, 1, 2]) if (i !== old.replica) await group.waitInSync(i);
    await group.kill(old.replica);
    const now = await group.waitMaster({ not: [old.replica], timeoutMs: 20_000 });

    const again = await x.commit();
    assert.equal([again.settled, again.by], [false, "commit"], "the new master knows the old one's commit");
    const listener = new Member(ctx, "pg-f", { listen: true, tag: "L" });
    await listener.ready();
    await waitUntil("the four halves settled by check", () => settled.length >= 4, { timeoutMs: 30_000 });
    assert.equal(new Set(settled.map((e) => e.msgId)), new Set(sender.lines("HALF").map(([id]) => id)));
    assert.ok(settled.every((e) => e.replica === now.replica), "settled by the new master");
    // a half sent now: once it is settled, the master has passed over the four again
    const z = await producer.sendHalf({ topic: TOPIC, body: "Z:commit-after" });
    await waitUntil("the new half settled", () => settled.some((e) => e.msgId === z.msgId), { timeoutMs: 30_000 });
    assert.is(settled.length, 5, "no half settled twice");
    assert.is(await stored(ctx.nc, GROUP, now.replica), 1 + 2 + 1);
    const seen = await Seen.start(ctx.nc, "failover-reader");
    try {
      await waitUntil("every commit consumed", () => seen.bodies.length >= 4);
      assert.equal([...seen.bodies].sort(), ["P:commit-0", "P:commit-2", "X:committed-before", "Z:commit-after"]);
    } finally {
      await seen.stop();
    }
  } finally {
    await producer.close();
  }
});

test.run();
