// `make chaos`: a long seeded fault run. Knobs from the environment:
//   SEED      the schedule's seed (default: a fresh one, printed)
//   CYCLES    faults to inject (default 30)
//   DURATION  the fault phase in ms (default 3000 per cycle)
//   FAULTS    comma-separated kinds (default all: see schedule.ts)
//   RATE      messages per second from each producer (default 200)
//   REPLICAS  replicas per broker group (default 1; 3 runs quorum groups
//             with failover, and the faults aim at replicas and masters)
//   PRODUCERS producer processes (default 1, or 3 with REPLICAS > 1)
//   GROUPS    comma-separated broker groups (default broker-a,broker-b)
//   KEEP=1    keep the run's folder (journals, data) even when it passes
// Exits 0 when the checker holds, 1 when it does not.
import { freshSeed } from "./prng.js";
import { runChaos } from "./run.js";
import { ALL_FAULTS, parseKinds, REPLICA_FAULTS } from "./schedule.js";

const env = process.env;
const int = (name: string, fallback: number): number => {
  const v = env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return n;
};

const seed = int("SEED", freshSeed());
const cycles = int("CYCLES", 30);
const replicas = Math.max(1, int("REPLICAS", 1));
const result = await runChaos({
  seed,
  cycles,
  durationMs: int("DURATION", cycles * 3000),
  kinds: env.FAULTS ? parseKinds(env.FAULTS) : replicas > 1 ? REPLICA_FAULTS : ALL_FAULTS,
  rate: int("RATE", 200),
  replicas,
  producers: Math.max(1, int("PRODUCERS", replicas > 1 ? 3 : 1)),
  ...(env.GROUPS ? { groups: env.GROUPS.split(",").map((g) => g.trim()).filter(Boolean) } : {}),
  drainMs: 60_000,
  keep: env.KEEP === "1",
});
process.exit(result.ok ? 0 : 1);
