// failover=manual (RocketMQ before 4.5): replica 0 is master for good; no
// election ever happens, whatever fails.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { batch, withCluster } from "./scenario.js";

const manual = suite("manual failover");

manual("replica 0 masters from the start; its crash elects nobody; back, it carries on in the same term", async () => {
  await withCluster({ name: "manual-master-crash", failover: "manual" }, async (c) => {
    assert.ok(await c.converge());
    assert.is(c.master(), 0);
    const term = c.repl(0).term();
    assert.equal((await c.put(0, batch("m", 3))).outcome, "committed");
    c.crash(0);
    await c.clock.advance(10 * c.electionTimeoutMs);
    assert.is(c.master(c.up()), undefined, "nobody else takes over");
    assert.equal(c.checker.campaigns.size, 0, "no campaign at all");
    for (const i of c.up()) assert.is(c.repl(i).master(), 0, `r${i} still names replica 0`);
    await c.restart(0);
    assert.ok(await c.converge());
    assert.is(c.master(), 0);
    assert.is(c.repl(0).term(), term);
    assert.equal((await c.put(0, batch("n", 2))).outcome, "committed");
    assert.ok(await c.converge());
    assert.equal(c.problems(), []);
  });
});
manual.run();
