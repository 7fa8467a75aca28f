// The seeded fault run against a 3-replica group with quorum acks and a
// 1 s election timeout: masters killed and paused, replicas restarted, the
// NATS server restarted, a consumer killed, under two producers and a
// consumer group. Every acknowledged message is read, in queue order, and
// nothing is read that was not sent. `make chaos REPLICAS=3` runs it longer.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { runChaos } from "./run.js";
import { REPLICA_FAULTS } from "./schedule.js";

const test = suite("chaos: a seeded fault schedule against a replicated group");

test("acknowledged messages survive failovers: all read, in queue order, nothing unsent", async () => {
  const r = await runChaos({
    seed: 20261206, cycles: 8, durationMs: 12_000, kinds: REPLICA_FAULTS, groups: ["broker-a"], replicas: 3, producers: 2, rate: 100,
    drainMs: 20_000, print: () => {},
  });
  console.log(r.text.split("\n").map((l) => `    ${l}`).join("\n"));
  assert.ok(r.ok, r.text);
  assert.is(r.applied.length, 8, "every scheduled fault was injected");
  assert.equal(new Set(r.applied.map((a) => a.step.fault.kind)).size, REPLICA_FAULTS.length, "the seed's schedule has every fault kind");
  const atMaster = r.applied.filter((a) => a.note?.includes("(the master)"));
  assert.ok(atMaster.some((a) => a.step.fault.kind === "broker-kill") && atMaster.some((a) => a.step.fault.kind === "broker-pause"), "a master was killed and one paused");
  assert.ok(r.evidence.acks.length > 500, `enough traffic: ${r.evidence.acks.length} acknowledged`);
});

test.run();
