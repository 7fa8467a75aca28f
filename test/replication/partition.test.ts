// The master is cut off while both sides keep taking writes: the side
// without a majority never commits; after the heal everyone converges on the
// majority's log.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { batch, withCluster, type Cluster } from "./scenario.js";

/** Writes on `i` every `everyMs` until stopped; returns the outcomes. */
function writer(c: Cluster, i: number, prefix: string, everyMs: number) {
  const outcomes: string[] = [];
  let n = 0;
  let on = true;
  const loop = async () => {
    while (on) {
      outcomes.push((await c.write(i, batch(`${prefix}${n++}-`, 1), 2 * c.electionTimeoutMs)).outcome);
      await new Promise<void>((r) => c.clock.set(r, everyMs));
    }
  };
  const done = loop();
  return { outcomes, stop: async () => ((on = false), await c.clock.settle(done, 10 * c.electionTimeoutMs)) };
}

const isolated = suite("partition: the master on the minority side");

for (const how of ["isolate", "partition"] as const) {
  isolated(`${how}: the minority master never commits, the majority elects and commits, the heal converges`, async () => {
    await withCluster({ name: `partition-master-${how}` }, async (c) => {
      assert.ok(await c.converge());
      const old = c.master()!;
      const oldTerm = c.repl(old).term();
      const majority = c.up().filter((i) => i !== old);
      assert.equal((await c.put(old, batch("before", 3))).outcome, "committed");
      const commitAtCut = c.store(old).commitOffset;
      let minorityCommit = commitAtCut;
      const stopWatch = c.clock.onStep(() => void (minorityCommit = Math.max(minorityCommit, c.store(old).commitOffset)));

      if (how === "isolate") c.network.isolate(old);
      else c.network.partition([[old], majority]);
      const minority = writer(c, old, "minority", 100);
      assert.ok(await c.clock.runUntil(() => c.master(majority) !== undefined, 6 * c.electionTimeoutMs), "the majority elects");
      const next = c.master(majority)!;
      assert.ok(c.repl(next).term() > oldTerm);
      for (let k = 0; k < 3; k++) assert.equal((await c.put(next, batch(`majority${k}-`, 2))).outcome, "committed");
      // the old master gives up within its check-quorum period
      assert.ok(await c.clock.runUntil(() => c.repl(old).role() !== "master", 3 * c.electionTimeoutMs), "the cut-off master steps down");
      await c.clock.advance(c.electionTimeoutMs);
      await minority.stop();
      stopWatch();

      assert.ok(minority.outcomes.length > 0);
      assert.not.ok(minority.outcomes.includes("committed"), `minority outcomes: ${minority.outcomes.join(" ")}`);
      assert.is(minorityCommit, commitAtCut, "the minority's commit offset never moved");

      c.network.heal();
      assert.ok(await c.converge(), "everyone converges after the heal");
      assert.is(c.master(), next, "on the majority's master");
      assert.equal(c.problems(), []);
      for (const i of c.up()) {
        const bodies = [...c.readAll(i).values()].flat().map((m) => m.body);
        assert.not.ok(bodies.some((b) => b.startsWith("minority")), `r${i}: no minority write survives`);
      }
    });
  });
}
isolated("five replicas split 2/3 with the master among the two: only the three commit; the heal converges on them", async () => {
  await withCluster({ name: "partition-five-2-3", replicas: 5 }, async (c) => {
    assert.ok(await c.converge());
    const old = c.master()!;
    const minoritySide = [old, (old + 1) % 5];
    const majoritySide = c.up().filter((i) => !minoritySide.includes(i));
    c.network.partition([minoritySide, majoritySide]);
    const commitAtCut = Math.max(...minoritySide.map((i) => c.store(i).commitOffset));
    const minority = writer(c, old, "minority", 50);
    assert.ok(await c.clock.runUntil(() => c.master(majoritySide) !== undefined, 6 * c.electionTimeoutMs), "the three elect");
    const next = c.master(majoritySide)!;
    assert.equal((await c.put(next, batch("majority", 5))).outcome, "committed");
    await c.clock.advance(2 * c.electionTimeoutMs);
    await minority.stop();
    assert.not.ok(minority.outcomes.includes("committed"), minority.outcomes.join(" "));
    for (const i of minoritySide) assert.ok(c.store(i).commitOffset <= commitAtCut, `r${i}'s commit offset passed what it was at the cut`);
    c.network.heal();
    assert.ok(await c.converge());
    assert.is(c.master(), next);
    assert.equal(c.problems(), []);
  });
});
isolated.run();
