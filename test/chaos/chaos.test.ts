// The seeded fault run, short, with a fixed seed: kill -9 and SIGSTOP of
// brokers under sync flush, NATS restarts, consumer members killed. `make
// chaos` runs it longer, with every fault kind.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runChaos } from "./run.js";
import type { FaultKind } from "./schedule.js";

const CI_FAULTS: FaultKind[] = ["broker-kill", "broker-pause", "nats-restart", "consumer-kill"];
const test = suite("chaos: a seeded fault schedule");

test("acknowledged messages are all read, in queue order, nothing unsent", async () => {
  const r = await runChaos({ seed: 20261201, cycles: 8, durationMs: 12_000, kinds: CI_FAULTS, drainMs: 20_000, print: () => {} });
  console.log(r.text.split("\n").map((l) => `    ${l}`).join("\n"));
  assert.ok(r.ok, r.text);
  assert.is(r.applied.length, 8, "every scheduled fault was injected");
  assert.ok(r.evidence.acks.length > 500, `enough traffic: ${r.evidence.acks.length} acknowledged`);
});

test.run();
