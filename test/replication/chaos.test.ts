// Seeded random faults on a 3-replica group under a steady producer:
// crashes, restarts, isolations, partitions, lossy links. After the last
// fault everything heals and restarts, the group converges, and the checker
// holds: one master per term, every acknowledged write everywhere, equal
// logs. A failing seed replays exactly (SEED=<n> to run one).
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mulberry32, type Rng } from "../chaos/prng.js";
import { withCluster, type Cluster } from "./scenario.js";
import { producer } from "./load.js";

const CYCLES = 20;

async function fault(c: Cluster, rng: Rng): Promise<void> {
  const all = [0, 1, 2];
  const down = all.filter((i) => !c.isUp(i));
  const kind = rng.pick(["crash", "crash", "restart", "restart", "isolate", "partition", "lossy", "heal"] as const);
  if (kind === "crash" && down.length < 2) return c.crash(rng.pick(all.filter((i) => c.isUp(i))));
  if (kind === "restart" && down.length > 0) return c.restart(rng.pick(down));
  if (kind === "isolate") return c.network.isolate(rng.int(0, 2));
  if (kind === "partition") {
    const alone = rng.int(0, 2);
    return c.network.partition([[alone], all.filter((i) => i !== alone)]);
  }
  if (kind === "lossy") return c.network.drop({ p: 0.3 });
  c.network.heal();
}

const chaos = suite("chaos: seeded faults under load");

const seeds = process.env.SEED ? [Number(process.env.SEED)] : [1, 2, 3, 4, 5, 6];
for (const seed of seeds) {
  chaos(`seed ${seed}: ${CYCLES} faults, then heal: nothing acknowledged is lost, one master per term`, async () => {
    await withCluster({ name: `chaos-seed${seed}`, seed }, async (c) => {
      const rng = mulberry32(seed);
      assert.ok(await c.converge());
      const p = producer(c, 20);
      for (let k = 0; k < CYCLES; k++) {
        await fault(c, rng);
        await c.clock.advance(rng.int(200, 3000));
      }
      c.network.heal();
      for (const i of [0, 1, 2]) if (!c.isUp(i)) await c.restart(i);
      await p.stop();
      assert.ok(await c.converge(30 * c.electionTimeoutMs), "converges after the heal");
      c.note(`outcomes: ${[...p.outcomes].map(([k, v]) => `${k} ${v}`).join(", ")}; terms: ${[...c.checker.mastersByTerm].map(([t, r]) => `${t}:r${r}`).join(" ")}`);
      assert.ok(p.acked.length > 0, "some writes were acknowledged");
      assert.equal(c.problems(), []);
    });
  });
}
chaos.run();
