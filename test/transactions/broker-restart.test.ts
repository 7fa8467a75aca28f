// Halves pending across a broker kill -9: after the restart the broker
// rebuilds which halves are settled from its half and op queues, checks
// the rest with the producer group and settles each once; nothing settled
// before the crash is settled again, across a second crash too.
import * as assert from "uvu/assert";
import { Producer } from "../../src/client/producer.js";
import { waitUntil } from "../harness/wait.js";
import { decodeJson } from "../../src/protocol/index.js";
import { events, FAST_CHECKS, Member, Seen, startGroup, stored, subj, TOPIC, txSuite } from "./tx-harness.js";

const GROUP = "tx-r";
const test = txSuite("halves across a broker kill -9");

test("pending halves are checked and settled once after restarts; settled ones stay settled", async (ctx) => {
  // checks go unanswered until a member listens: a high checkMax keeps the halves pending meanwhile
  const group = await startGroup(ctx, GROUP, 1, [...FAST_CHECKS, "--transaction-check-max", "100000"]);
  const settled = events(ctx.nc, "pg-r");
  const sender = new Member(ctx, "pg-r", { halves: 6, tag: "P" });
  await sender.ready();
  await sender.proc.kill("SIGKILL");
  const producer = await new Producer(ctx.nc, { group: "pg-r", retryBudgetMs: 20_000 }).start();
  try {
    const x = await producer.sendHalf({ topic: TOPIC, body: "X:committed-before" });
    const y = await producer.sendHalf({ topic: TOPIC, body: "Y:rolled-back-before" });
    assert.ok((await x.commit()).settled);
    assert.ok((await y.rollback()).settled);
    assert.is(await stored(ctx.nc, GROUP, 0), 1);

    await group.kill(0);
    await group.restart(0);
    // rebuilt from the op queue: both still settled, and as they were
    const again = await x.commit();
    assert.equal([again.settled, again.by], [false, "commit"]);
    const undo = await y.commit();
    assert.equal([undo.settled, undo.by], [false, "rollback"]);

    const pending = await waitUntil("the restarted broker's ledger loaded", async () => {
      const r = await ctx.nc.request(subj.broker(GROUP, 0, "status"), "{}", { timeout: 1000 });
      const t = (decodeJson(r.data) as { transactions?: { loaded: boolean; pending: number } }).transactions;
      return t?.loaded ? t.pending : undefined;
    });
    assert.is(pending, 6, "the six halves are pending again after the crash");
    const listener = new Member(ctx, "pg-r", { listen: true, tag: "L" });
    await listener.ready();
    await waitUntil("the six halves settled by check", () => settled.length >= 6, { timeoutMs: 30_000 });
    const halves = sender.lines("HALF");
    assert.equal(new Set(settled.map((e) => e.msgId)), new Set(halves.map(([id]) => id)), "each of the six, once");

    await group.kill(0);
    await group.restart(0);
    // a half sent after the second restart: once it is settled, the restarted master has made its passes
    const z = await producer.sendHalf({ topic: TOPIC, body: "Z:commit-after" });
    await waitUntil("the new half settled by check", () => settled.some((e) => e.msgId === z.msgId), { timeoutMs: 30_000 });
    assert.is(settled.length, 7, "nothing from before the second crash was settled again");
    assert.is(await stored(ctx.nc, GROUP, 0), 1 + 3 + 1, "X, the three commits of the six, and Z");

    const seen = await Seen.start(ctx.nc, "restart-reader");
    try {
      await waitUntil("every commit consumed", () => seen.bodies.length >= 5);
      assert.equal([...seen.bodies].sort(), ["P:commit-0", "P:commit-2", "P:commit-4", "X:committed-before", "Z:commit-after"]);
    } finally {
      await seen.stop();
    }
  } finally {
    await producer.close();
  }
});

test.run();
