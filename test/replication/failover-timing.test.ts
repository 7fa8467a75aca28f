// How long a kill -9 of the master costs a producer: from the crash to the
// first write acknowledged by the new master, under a steady load (which
// keeps the slaves' fetches in step with each other). The issue's figure:
// within 2 s with a 1 s election timeout.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mulberry32 } from "../chaos/prng.js";
import { withCluster } from "./scenario.js";
import { producer } from "./load.js";

const timing = suite("failover timing");

timing("kill -9 of the master under load: a new master acknowledges within 2 s, every seed", async () => {
  const took: number[] = [];
  for (let seed = 1; seed <= 5; seed++) {
    await withCluster({ name: `failover-timing-seed${seed}`, seed }, async (c) => {
      // 1-3 ms per message, so that the slaves are not in step by construction
      const jitter = mulberry32(seed);
      c.network.setDelay(() => jitter.int(1, 3));
      assert.ok(await c.converge());
      const p = producer(c);
      await c.clock.advance(500 + seed * 37);
      const old = c.master()!;
      c.crash(old);
      const crashedAt = c.clock.elapsed;
      assert.ok(await c.clock.runUntil(() => p.acked.some((a) => a.on !== old), 10 * c.electionTimeoutMs), `seed ${seed}: a new master acknowledges`);
      const first = p.acked.find((a) => a.on !== old)!;
      took.push(first.at - crashedAt);
      c.note(`failover took ${first.at - crashedAt}ms`);
      await p.stop();
      assert.ok(await c.converge());
      assert.equal(c.problems(), []);
    });
  }
  const sorted = [...took].sort((a, b) => a - b);
  const summary = `failover ms per seed: ${took.join(", ")}; median ${sorted[2]}, worst ${sorted[4]}`;
  console.log(summary);
  assert.ok(sorted[4]! < 2000, summary);
});
timing.run();
