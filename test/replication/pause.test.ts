// The master's process is stopped (SIGSTOP) past the election timeout while
// a producer writes, then continued: the others elect, the old master steps
// down when it runs again, no two masters in one term, nothing acknowledged
// is lost.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { withCluster } from "./scenario.js";
import { producer } from "./load.js";

const pause = suite("pause: SIGSTOP of the master");

pause("the paused master is replaced; resumed, it steps down and its pending writes are not acknowledged", async () => {
  await withCluster({ name: "pause-master" }, async (c) => {
    assert.ok(await c.converge());
    const old = c.master()!;
    const oldTerm = c.repl(old).term();
    const p = producer(c, 20);
    await c.clock.advance(300);
    c.pause(old);
    const pausedAt = c.clock.elapsed;
    await c.clock.advance(3 * c.electionTimeoutMs);
    const others = c.up().filter((i) => i !== old);
    const next = c.master(others);
    assert.ok(next !== undefined, "the others elected while it was stopped");
    assert.ok(c.repl(next).term() > oldTerm);
    const ackedOld = p.acked.filter((a) => a.on === old).length;

    c.resume(old);
    assert.ok(await c.clock.runUntil(() => c.repl(old).role() !== "master", c.electionTimeoutMs), "steps down once it runs");
    assert.ok(await c.clock.runUntil(() => c.repl(old).term() === c.repl(next).term(), 3 * c.electionTimeoutMs), "learns the new term");
    assert.ok(p.acked.filter((a) => a.on === old).every((a) => a.at <= pausedAt), "no write acknowledged by the old master after it was stopped");
    assert.ok(ackedOld > 0);
    await p.stop();
    assert.ok(await c.converge());
    assert.is(c.master(), next);
    assert.equal(c.problems(), []);
  });
});
pause.run();
