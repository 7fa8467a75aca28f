// A follower cut off from the group comes back without deposing the
// healthy master: its pre-votes fail while it is away (so its term does
// not grow), and are refused once it is back (the others hear a master).
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { batch, withCluster } from "./scenario.js";

const prevote = suite("pre-vote: a returning follower");

for (const how of ["partition", "isolate"] as const) {
  prevote(`${how}: the follower's term does not grow, and the master keeps its term when it returns`, async () => {
    await withCluster({ name: `prevote-follower-${how}` }, async (c) => {
      assert.ok(await c.converge());
      const m = c.master()!;
      const term = c.repl(m).term();
      const f = c.up().find((i) => i !== m)!;
      const others = c.up().filter((i) => i !== f);

      if (how === "partition") c.network.partition([[f], others]);
      else c.network.isolate(f);
      await c.clock.advance(8 * c.electionTimeoutMs);
      assert.is(c.repl(f).term(), term, "no real campaign without a pre-vote majority");
      assert.is(c.master(others), m, "the master carries on");
      assert.equal((await c.put(m, batch("while-away", 3))).outcome, "committed");

      c.network.heal();
      assert.ok(await c.converge(), "the follower follows again");
      assert.is(c.master(), m, "the same master");
      assert.is(c.repl(m).term(), term, "in the same term");
      assert.equal([...c.checker.campaigns.keys()].filter((t) => t > term), [], "nobody campaigned for a later term");
      assert.equal(c.problems(), []);
    });
  });
}
prevote.run();
