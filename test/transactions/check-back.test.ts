// Check-back against a NameServer, a broker and producer-group members
// run as processes: a member SIGKILLed between its halves and their
// commits leaves them to the broker, which asks the group; another member
// answers and each half is settled by its answer. A group that never
// answers has its half rolled back after transactionCheckMax checks.
import * as assert from "uvu/assert";
import { Producer } from "../../src/client/producer.js";
import type { TransactionEvent } from "../../src/protocol/index.js";
import { waitUntil } from "../harness/wait.js";
import { events, Member, Seen, startGroup, stored, TOPIC, txSuite } from "./tx-harness.js";

const GROUP = "tx-c";
const test = txSuite("check-back");

test.before(async (ctx) => {
  await startGroup(ctx, GROUP, 1);
});

test("a member killed after its halves: another member of the group answers, and each half ends as it says", async (ctx) => {
  const settled = events(ctx.nc, "pg-c");
  const other = new Member(ctx, "pg-c", { listen: true, tag: "B" });
  await other.ready();
  const dying = new Member(ctx, "pg-c", { halves: 4, listen: true, tag: "A" });
  await dying.ready();
  await dying.proc.kill("SIGKILL");
  const halves = dying.lines("HALF");
  assert.is(halves.length, 4);
  const seen = await Seen.start(ctx.nc, "check-reader");
  try {
    await waitUntil("all four settled by check", () => settled.length >= 4, { timeoutMs: 20_000 });
    const byId = new Map(settled.map((e) => [e.msgId, e]));
    for (const [msgId, body] of halves) {
      const e = byId.get(msgId!);
      assert.ok(e, `an event for ${body}`);
      assert.is(e!.type, body!.includes("commit") ? "commit" : "rollback", body);
      assert.is(e!.reason, "check");
    }
    const answered = new Set(other.lines("CHECK").map(([id]) => id));
    for (const [msgId] of halves) assert.ok(answered.has(msgId), `the surviving member answered ${msgId}`);
    await waitUntil("both commits consumed", () => seen.bodies.length >= 2);
    assert.equal([...seen.bodies].sort(), ["A:commit-0", "A:commit-2"]);
    assert.is(await stored(ctx.nc, GROUP, 0), 2, "the rolled-back halves never reached the topic");
  } finally {
    await seen.stop();
  }
});

test("a group of two that answers only unknown: each check reaches one of them; rolled back after 15, logged, with an event", async (ctx) => {
  const settled: TransactionEvent[] = events(ctx.nc, "pg-silent");
  const asked: number[] = [];
  const silent = await new Producer(ctx.nc, { group: "pg-silent", checkListener: (m) => (asked.push(m.checkTimes), "unknown") }).start();
  const twin = await new Producer(ctx.nc, { group: "pg-silent", checkListener: (m) => (asked.push(m.checkTimes), "unknown") }).start();
  try {
    const before = await stored(ctx.nc, GROUP, 0);
    const half = await silent.sendHalf({ topic: TOPIC, body: "never-answered" });
    await waitUntil("the check-max rollback", () => settled.length > 0, { timeoutMs: 20_000 });
    const e = settled[0]!;
    assert.equal([e.type, e.reason, e.msgId, e.checks], ["rollback", "check-max", half.msgId, 15]);
    assert.equal(asked, Array.from({ length: 15 }, (_, i) => i + 1), "asked 15 times, numbered, each check answered by one member");
    assert.is(await stored(ctx.nc, GROUP, 0), before);
    const late = await half.commit();
    assert.equal([late.settled, late.by], [false, "rollback"], "a commit after the rollback changes nothing");
    const r = ctx.groups[0]!.replica(0);
    assert.match(r.current.output(), /half message rolled back: its producer group left every check unanswered/);
  } finally {
    await silent.close();
    await twin.close();
  }
});

test.run();
