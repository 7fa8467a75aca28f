// The fault schedule is a function of the seed: a replay runs the same faults.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mulberry32 } from "./prng.js";
import { ALL_FAULTS, describeStep, parseKinds, planSchedule, REPLICA_FAULTS, type ScheduleOptions } from "./schedule.js";

const base: ScheduleOptions = { seed: 42, cycles: 50, kinds: ALL_FAULTS, groups: ["broker-a", "broker-b"], members: 2, durationMs: 50_000 };

const prng = suite("mulberry32");
prng("known first values for seed 1, whatever the platform", () => {
  const r = mulberry32(1);
  assert.equal([r.next(), r.next()].map((x) => x.toFixed(10)), ["0.6270739406", "0.0027357212"]);
});
prng("int stays within its bounds, both ends reached", () => {
  const r = mulberry32(7);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(r.int(1, 3));
  assert.equal([...seen].sort(), [1, 2, 3]);
});
prng.run();

const schedule = suite("planSchedule");
schedule("the same seed gives the same schedule", () => {
  assert.equal(planSchedule(base).map(describeStep), planSchedule({ ...base }).map(describeStep));
});
schedule("another seed gives another schedule", () => {
  assert.not.equal(planSchedule(base).map(describeStep), planSchedule({ ...base, seed: 43 }).map(describeStep));
});
schedule("only the chosen kinds, targets from the given groups and members", () => {
  const steps = planSchedule({ ...base, kinds: ["broker-kill", "consumer-kill"], members: 3 });
  assert.is(steps.length, 50);
  for (const s of steps) {
    const f = s.fault;
    assert.ok(f.kind === "broker-kill" || f.kind === "consumer-kill", f.kind);
    if (f.kind === "broker-kill") assert.ok(base.groups.includes(f.group));
    if (f.kind === "consumer-kill") assert.ok(f.member >= 0 && f.member < 3);
  }
  assert.ok(steps.some((s) => s.fault.kind === "broker-kill") && steps.some((s) => s.fault.kind === "consumer-kill"));
});
schedule("quiet gaps average the duration over the cycles", () => {
  const steps = planSchedule(base);
  const mean = steps.reduce((n, s) => n + s.quietMs, 0) / steps.length;
  assert.ok(mean > 800 && mean < 1200, String(mean));
});
schedule("parseKinds refuses an unknown fault by name", () => {
  assert.equal(parseKinds("broker-kill, nats-restart"), ["broker-kill", "nats-restart"]);
  assert.throws(() => parseKinds("broker-kill,meteor"), /unknown fault "meteor"/);
});
schedule.run();

const replicated = suite("planSchedule for replicated groups");
replicated("a one-replica schedule draws no targets: a seed replays what it always did", () => {
  const steps = planSchedule(base);
  assert.ok(steps.every((s) => !("replica" in s.fault)));
  assert.equal(steps.map(describeStep), planSchedule({ ...base, replicas: 1 }).map(describeStep));
});
replicated("broker faults aim at a replica by index or at the master of the moment, every one reachable", () => {
  const steps = planSchedule({ ...base, kinds: REPLICA_FAULTS, replicas: 3, cycles: 200 });
  const targets = new Set<string>();
  for (const s of steps) {
    const f = s.fault;
    assert.ok(REPLICA_FAULTS.includes(f.kind), f.kind);
    if (!("group" in f)) continue;
    assert.ok(f.replica === "master" || (Number.isInteger(f.replica) && f.replica! >= 0 && f.replica! < 3), String(f.replica));
    targets.add(String(f.replica));
  }
  assert.equal([...targets].sort(), ["0", "1", "2", "master"]);
  assert.ok(steps.some((s) => s.fault.kind === "broker-restart"), "clean restarts are drawn too");
});
replicated("a step names its target: the master, or the replica", () => {
  const lines = planSchedule({ ...base, kinds: ["broker-kill"], replicas: 3, cycles: 40 }).map(describeStep);
  assert.ok(lines.some((l) => /kill -9 broker-[ab]'s master, restart after \d+ ms/.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => /kill -9 broker-[ab]\.[0-2], restart after \d+ ms/.test(l)), lines.join("\n"));
});
replicated("broker-restart is a known kind, though not in the one-replica default", () => {
  assert.equal(parseKinds("broker-restart"), ["broker-restart"]);
  assert.not.ok(ALL_FAULTS.includes("broker-restart"));
});
replicated.run();
