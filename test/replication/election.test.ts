// Elections in a 3-replica group under the simulated clock and network.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { batch, withCluster } from "./scenario.js";

const cold = suite("election: cold start");

cold("three replicas elect exactly one master, the others follow it, and it commits", async () => {
  await withCluster({ name: "election-cold-start" }, async (c) => {
    assert.ok(await c.converge(10 * c.electionTimeoutMs), "one master, everyone following");
    const m = c.master()!;
    const term = c.repl(m).term();
    assert.ok(term >= 1, `term ${term}`);
    for (const i of c.up()) {
      assert.is(c.repl(i).role(), i === m ? "master" : "slave", `r${i}`);
      assert.is(c.repl(i).master(), m);
    }
    // first election within a couple of timeouts: the randomized timeout is in [base, 2*base)
    assert.ok(c.clock.elapsed <= 4 * c.electionTimeoutMs, `converged at ${c.clock.elapsed}ms`);
    assert.equal((await c.put(m, batch("a", 3))).outcome, "committed");
    const slave = c.up().find((i) => i !== m)!;
    assert.equal((await c.put(slave, batch("no", 1))).outcome, "not-master");
    assert.ok(await c.converge());
    assert.equal(c.problems(), []);
    for (const i of c.up()) assert.equal(c.readAll(i).get("t/0")!.map((x) => x.body), ["a0", "a1", "a2"], `r${i}`);
  });
});

cold("a restart of the whole group keeps the term history: the new term is higher than any before", async () => {
  await withCluster({ name: "election-whole-group-restart" }, async (c) => {
    assert.ok(await c.converge());
    const before = c.repl(c.master()!).term();
    assert.equal((await c.put(c.master()!, batch("b", 2))).outcome, "committed");
    for (const i of [0, 1, 2]) await c.stop(i);
    for (const i of [0, 1, 2]) await c.restart(i);
    assert.ok(await c.converge());
    assert.ok(c.repl(c.master()!).term() > before, `term ${c.repl(c.master()!).term()} after ${before}`);
    assert.equal(c.problems(), []);
  });
});
cold.run();

const split = suite("election: split votes");

split("two live replicas of three, 100 ms links: split votes happen and always resolve", async () => {
  let splits = 0;
  for (let seed = 1; seed <= 6; seed++) {
    await withCluster({ name: `election-split-vote-seed${seed}`, seed, delayMs: 100 }, async (c) => {
      c.crash(2);
      assert.ok(await c.converge(40 * c.electionTimeoutMs), `seed ${seed}: a master in the end`);
      const m = c.master()!;
      for (const [term, who] of c.checker.campaigns) {
        if (new Set(who).size < 2) continue;
        splits++;
        assert.ok(term < c.repl(m).term(), `seed ${seed}: split term ${term} is not the final one`);
        assert.not.ok(c.checker.mastersByTerm.has(term), `seed ${seed}: nobody won split term ${term}`);
      }
      assert.equal(c.problems(), []);
    });
  }
  assert.ok(splits > 0, "at least one run saw two candidates in one term");
});
split.run();
