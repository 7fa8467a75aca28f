// Handing mastership over on purpose (rbus failover): the target catches up
// first, campaigns at once in the next term, and nothing acknowledged is lost.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { batch, withCluster } from "./scenario.js";

const transfer = suite("leadership transfer");

transfer("the master hands over to a named replica, which takes the next term with every acknowledged write", async () => {
  await withCluster({ name: "transfer-to-replica" }, async (c) => {
    assert.ok(await c.converge());
    const m = c.master()!;
    const term = c.repl(m).term();
    const target = c.up().find((i) => i !== m)!;
    for (let k = 0; k < 3; k++) assert.equal((await c.put(m, batch(`pre${k}-`, 4))).outcome, "committed");

    const started = c.clock.elapsed;
    const handing = c.repl(m).transferTo(target, 5 * c.electionTimeoutMs);
    await c.clock.advance(1);
    assert.is(c.repl(m).writable(), false, "no writes taken while handing over");
    const r = await c.clock.settle(handing, 6 * c.electionTimeoutMs);
    assert.is(r.ok, true);
    assert.is(r.term, term + 1);

    assert.ok(await c.converge());
    assert.is(c.master(), target);
    assert.is(c.repl(target).term(), term + 1, "the target won the next term");
    // a transfer skips the election timeout
    assert.ok(c.clock.elapsed - started < c.electionTimeoutMs, `handed over in ${c.clock.elapsed - started}ms`);
    assert.is(c.repl(m).role(), "slave");
    assert.equal((await c.put(target, batch("post", 2))).outcome, "committed");
    assert.ok(await c.converge());
    assert.equal(c.problems(), []);
    // the answer rbus failover prints: the new master, once it has announced itself
    assert.is(r.master, target, `transferTo answered ${JSON.stringify(r)}`);
  });
});

transfer("a transfer to a replica that is down fails and the master carries on", async () => {
  await withCluster({ name: "transfer-to-dead-replica" }, async (c) => {
    assert.ok(await c.converge());
    const m = c.master()!;
    const term = c.repl(m).term();
    const target = c.up().find((i) => i !== m)!;
    c.crash(target);
    assert.equal((await c.put(m, batch("x", 2))).outcome, "committed");
    const r = await c.clock.settle(c.repl(m).transferTo(target, 2 * c.electionTimeoutMs), 4 * c.electionTimeoutMs);
    assert.is(r.ok, false);
    assert.is(c.master(c.up()), m, "still the master");
    assert.is(c.repl(m).term(), term);
    assert.is(c.repl(m).writable(), true, "and taking writes again");
  });
});
transfer.run();
