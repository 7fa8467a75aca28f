// Slaves behind the master: one that was down fetches the backlog in
// chunks; a caught-up one waits in a held fetch (long poll) that the next
// append answers at once; one on a slow link lags while the master commits
// with the other.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { batch, withCluster, type Cluster } from "./scenario.js";

/** Fetch replies from `from` to `to` that carried log bytes. */
function chunks(c: Cluster, from: number, to: number): number {
  return c.network.events.filter((e) => e.kind === "reply" && e.api === "ha.fetch" && e.from === from && e.to === to && /\+\d+B$/.test(e.what)).length;
}

const catchUp = suite("catch-up: slaves behind the master");

catchUp("a restarted slave fetches the backlog in chunks; then each new write reaches it without waiting out the poll", async () => {
  await withCluster({ name: "catch-up-restarted-slave", fetchMaxBytes: 1024 }, async (c) => {
    assert.ok(await c.converge());
    const m = c.master()!;
    const s = c.up().find((i) => i !== m)!;
    c.crash(s);
    for (let k = 0; k < 20; k++) assert.equal((await c.put(m, batch(`backlog${k}-`, 10, k % 4))).outcome, "committed");
    const backlog = c.store(m).maxPhysicalOffset;
    assert.ok(backlog > 8 * 1024, `backlog ${backlog} bytes`);

    await c.restart(s);
    assert.ok(await c.converge(), "caught up");
    assert.ok(chunks(c, m, s) >= Math.floor(backlog / 1024), `${chunks(c, m, s)} chunks for ${backlog} bytes`);
    assert.equal(c.problems(), []);

    // caught up: the slave's fetch is held; idle, it asks only a few times a second
    const asked = () => c.network.events.filter((e) => e.kind === "deliver" && e.api === "ha.fetch" && e.from === s).length;
    const before = asked();
    await c.clock.advance(5000);
    const perSecond = (asked() - before) / 5;
    assert.ok(perSecond >= 1 && perSecond <= 6, `${perSecond} fetches a second while idle`);

    // a write wakes the held fetch: the slave has it after a round trip, not after the poll's wait
    const t0 = c.clock.elapsed;
    const w = c.write(m, batch("wake", 1));
    assert.ok(await c.clock.runUntil(() => c.store(s).maxPhysicalOffset === c.store(m).maxPhysicalOffset, 1000));
    const took = c.clock.elapsed - t0;
    assert.ok(took <= 4 * c.opts.delayMs + 2, `reached the slave after ${took}ms`);
    assert.equal((await c.clock.settle(w, 1000)).outcome, "committed");
  });
});

catchUp("a slave on a slow link lags; the master commits with the other one; the slave catches up when the link recovers", async () => {
  await withCluster({ name: "catch-up-slow-link" }, async (c) => {
    assert.ok(await c.converge());
    const m = c.master()!;
    const [fast, slow] = c.up().filter((i) => i !== m) as [number, number];
    c.network.setDelay((a, b) => (a === slow || b === slow ? 150 : 2));
    let maxLag = 0;
    for (let k = 0; k < 10; k++) {
      const t0 = c.clock.elapsed;
      assert.equal((await c.put(m, batch(`slow${k}-`, 5))).outcome, "committed");
      assert.ok(c.clock.elapsed - t0 < 50, `committed in ${c.clock.elapsed - t0}ms through r${fast}`);
      maxLag = Math.max(maxLag, c.repl(m).status().followers.find((f) => f.replica === slow)?.lagBytes ?? 0);
    }
    assert.ok(maxLag > 0, "the master saw the slow slave lag");
    assert.ok(c.store(slow).maxPhysicalOffset < c.store(m).maxPhysicalOffset, "still behind when the writes stop");
    c.network.setDelay(2);
    assert.ok(await c.converge());
    assert.is(c.master(), m);
    assert.equal(c.problems(), []);
  });
});
catchUp.run();
