// The master dies (kill -9) with an uncommitted tail; another replica takes
// over with everything that was acknowledged; the old master comes back,
// drops its tail and catches up byte for byte.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { batch, withCluster } from "./scenario.js";

const crash = suite("failover: master crash");

crash("a new master with every committed entry; the old master truncates its uncommitted tail and catches up", async () => {
  await withCluster({ name: "failover-master-crash" }, async (c) => {
    assert.ok(await c.converge());
    const old = c.master()!;
    const oldTerm = c.repl(old).term();
    for (let k = 0; k < 5; k++) assert.equal((await c.put(old, batch(`ok${k}-`, 4, k % 2))).outcome, "committed");
    const committedEnd = c.store(old).commitOffset;

    // the followers stop hearing the master (held fetches too): the next write is appended on the master only
    c.network.partition([[old], c.up().filter((i) => i !== old)]);
    let tail: string | undefined;
    void c.write(old, batch("lost", 3)).then((w) => (tail = w.outcome));
    await c.clock.advance(50);
    assert.ok(c.store(old).maxPhysicalOffset > committedEnd, "the tail is in the old master's log");
    assert.is(c.store(old).commitOffset, committedEnd, "but not committed");
    c.crash(old);
    c.network.heal();
    const crashedAt = c.clock.elapsed;

    const rest = c.up();
    assert.ok(await c.converge(10 * c.electionTimeoutMs, rest), "the two others elect");
    const next = c.master(rest)!;
    assert.is.not(next, old);
    assert.ok(c.repl(next).term() > oldTerm);
    // the bound here is loose; failover-timing.test.ts holds the figure
    assert.ok(c.clock.elapsed - crashedAt < 5 * c.electionTimeoutMs, `new master after ${c.clock.elapsed - crashedAt}ms`);
    assert.equal(c.problems(rest), [], "every acknowledged put survives the crash");
    assert.equal((await c.put(next, batch("after", 4))).outcome, "committed");

    await c.restart(old);
    assert.ok(await c.converge(), "the old master rejoins");
    assert.is(c.repl(old).role(), "slave");
    assert.is(c.repl(old).master(), next);
    const truncation = c.transcript.lines.find((l) => l.includes(`r${old} truncated`));
    assert.ok(truncation, "the old master says it truncated");
    assert.equal(c.problems(), [], "all three logs equal, every acknowledged put everywhere");
    for (const i of c.up()) {
      const bodies = [...c.readAll(i).values()].flat().map((m) => m.body);
      assert.not.ok(bodies.some((b) => b.startsWith("lost")), `r${i} shows no unacknowledged message`);
      assert.ok(bodies.includes("after3"), `r${i} has the new master's writes`);
    }
    assert.is(tail, undefined, "the crashed master's pending write never answered");
  });
});

crash("a slave crash: the master keeps committing with two of three, the slave restarts and catches up", async () => {
  await withCluster({ name: "failover-slave-crash" }, async (c) => {
    assert.ok(await c.converge());
    const m = c.master()!;
    const term = c.repl(m).term();
    const s = c.up().find((i) => i !== m)!;
    c.crash(s);
    for (let k = 0; k < 4; k++) assert.equal((await c.put(m, batch(`two${k}-`, 5))).outcome, "committed");
    await c.restart(s);
    assert.ok(await c.converge());
    assert.is(c.master(), m, "the master stays");
    assert.is(c.repl(m).term(), term, "in its term");
    assert.equal(c.problems(), []);
  });
});

crash("two of three down: a write is not acknowledged", async () => {
  await withCluster({ name: "failover-no-majority" }, async (c) => {
    assert.ok(await c.converge());
    const m = c.master()!;
    for (const i of c.up()) if (i !== m) c.crash(i);
    const w = await c.put(m, batch("alone", 1));
    assert.is.not(w.outcome, "committed");
    assert.equal(c.checker.acked, []);
    // and the lone master steps down once it sees it has no majority
    assert.ok(await c.clock.runUntil(() => c.repl(m).role() !== "master", 5 * c.electionTimeoutMs), "steps down");
  });
});
crash.run();
