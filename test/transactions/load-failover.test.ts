// Many transactions while the master is killed and the producer is
// SIGKILLed mid-stream, a listening member answering checks throughout:
// in the end no half is pending, each half was committed at most once
// (one message per TRAN_PREPARED_QUEUE_OFFSET), every half the producer
// was told it committed is there, and no rolled-back body ever is.
import * as assert from "uvu/assert";
import { decodeJson, Prop } from "../../src/protocol/index.js";
import { waitUntil } from "../harness/wait.js";
import { FAST_CHECKS, Member, Seen, startGroup, subj, txSuite } from "./tx-harness.js";

const GROUP = "tx-l";
const test = txSuite("transactions under a master kill and a producer kill");

test("settled once each, across both kills", async (ctx) => {
  const group = await startGroup(ctx, GROUP, 3, FAST_CHECKS);
  const listener = new Member(ctx, "pg-l", { listen: true, tag: "L" });
  await listener.ready();
  const worker = new Member(ctx, "pg-l", { halves: 100_000, settle: true, tag: "W" });
  await waitUntil("100 transactions settled", () => worker.lines("SETTLED").length >= 100, { timeoutMs: 30_000 });
  const old = await group.waitMaster();
  await group.kill(old.replica);
  const now = await group.waitMaster({ not: [old.replica], timeoutMs: 20_000 });
  const settledAtKill = worker.lines("SETTLED").length;
  await waitUntil("100 more settled on the new master", () => worker.lines("SETTLED").length >= settledAtKill + 100, { timeoutMs: 30_000 });
  await worker.proc.kill("SIGKILL");
  await group.restart(old.replica);

  await waitUntil("no half pending on the master", async () => {
    const r = await ctx.nc.request(subj.broker(GROUP, now.replica, "status"), "{}", { timeout: 1000 });
    const t = (decodeJson(r.data) as { transactions?: { loaded: boolean; pending: number; checking: number } }).transactions;
    return t?.loaded && t.pending === 0 && t.checking === 0;
  }, { timeoutMs: 30_000, intervalMs: 200 });

  const committedByWorker = worker.lines("SETTLED").filter(([, by]) => by === "commit").map(([id]) => id!);
  const bodyOf = new Map(worker.lines("HALF").map(([id, body]) => [id!, body!]));
  const seen = await Seen.start(ctx.nc, "load-reader");
  try {
    const expected = new Set(committedByWorker.map((id) => bodyOf.get(id)!));
    await waitUntil("every commit the worker was told of, consumed", () => {
      const have = new Set(seen.bodies);
      return [...expected].every((b) => have.has(b));
    }, { timeoutMs: 30_000 });
    const stored = await waitUntil("the topic read to its end", async () => {
      const r = await ctx.nc.request(subj.broker(GROUP, now.replica, "topic.status"), JSON.stringify({ topic: "tx-orders" }), { timeout: 1000 });
      const n = (decodeJson(r.data) as { queues: Array<{ maxOffset: number }> }).queues.reduce((s, q) => s + q.maxOffset, 0);
      return seen.bodies.length >= n ? n : undefined;
    });
    assert.is(seen.bodies.length, stored);
    const halfOffsets = seen.props.map((p) => p[Prop.transactionPreparedQueueOffset]);
    assert.is(new Set(halfOffsets).size, halfOffsets.length, "no half committed twice");
    assert.ok(halfOffsets.every((o) => o !== undefined), "every message came from a half");
    assert.equal(seen.bodies.filter((b) => b.includes("rollback")), [], "no rolled-back body");
    assert.ok(stored >= expected.size, `${stored} stored, ${expected.size} commits acknowledged`);
    console.log(`  ${worker.lines("HALF").length} halves acknowledged, ${committedByWorker.length} commits acknowledged, ${stored} messages stored, ${listener.lines("CHECK").length} checks answered`);
  } finally {
    await seen.stop();
  }
});

test.run();
