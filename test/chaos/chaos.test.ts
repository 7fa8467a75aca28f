// The seeded fault run, short, with a fixed seed and every fault kind:
// kill -9 and SIGSTOP of brokers under sync flush, NATS restarts, torn
// tails, flipped bytes, consumer members killed. `make chaos` runs it longer.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { runChaos } from "./run.js";
import { ALL_FAULTS } from "./schedule.js";

const test = suite("chaos: a seeded fault schedule");

test("acknowledged messages are all read or reported damaged, in queue order, nothing unsent", async () => {
  const r = await runChaos({ seed: 20261212, cycles: 10, durationMs: 14_000, kinds: ALL_FAULTS, drainMs: 20_000, print: () => {} });
  console.log(r.text.split("\n").map((l) => `    ${l}`).join("\n"));
  assert.ok(r.ok, r.text);
  assert.is(r.applied.length, 10, "every scheduled fault was injected");
  assert.equal(new Set(r.applied.map((a) => a.step.fault.kind)).size, ALL_FAULTS.length, "the seed's schedule has every fault kind");
  assert.ok(r.applied.some((a) => a.injected), "some fault damaged a commit log");
  assert.ok(r.evidence.acks.length > 500, `enough traffic: ${r.evidence.acks.length} acknowledged`);
});

test.run();
