import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { createActor, SimulatedClock } from "xstate";
import { nameServerMachine, brokerKey, type NameServerTimings } from "../../machines/nameserver.js";
import type { LivenessChanged } from "../../machines/liveness.js";
import type { BrokerRegistration } from "../../src/protocol/types.js";

// RocketMQ's defaults: scan every 10 s, dead after 120 s.
const timings: NameServerTimings = { scanIntervalMs: 10_000, suspectAfterMs: 45_000, deadAfterMs: 120_000, forgetAfterMs: 600_000 };

function registration(group = "broker-a", replica = 0): BrokerRegistration {
  return {
    cluster: "c",
    group,
    replica,
    role: "master",
    term: 0,
    address: `rbus.broker.${group}.${replica}`,
    heartbeatIntervalMs: 30_000,
    topics: [],
    startedAt: 0,
  };
}

function start() {
  const clock = new SimulatedClock();
  const changes: string[] = [];
  const machine = nameServerMachine.provide({
    actions: {
      publishLiveness: (_, c: LivenessChanged) => void changes.push(`${clock.now() / 1000}s ${c.group}.${c.replica} ${c.from}->${c.to}`),
    },
  });
  const actor = createActor(machine, { clock, input: { id: "ns-test", timings } }).start();
  const register = (group?: string, replica?: number) =>
    actor.send({ type: "REGISTER", registration: registration(group, replica), fingerprint: "f", at: clock.now() });
  const liveness = (key = "broker-a.0") => actor.getSnapshot().context.brokers.get(key)?.liveness;
  /** Moves the clock in whole seconds, one scan at a time. */
  const advance = (seconds: number) => {
    for (let i = 0; i < seconds; i++) clock.increment(1000);
  };
  return { clock, actor, changes, register, liveness, advance };
}

const test = suite("liveness under a simulated clock");

test("a registered broker is alive and reported as such", () => {
  const t = start();
  t.register();
  assert.is(t.liveness(), "alive");
  assert.equal(t.changes, ["0s broker-a.0 unknown->alive"]);
});

test("heartbeats every 30 s keep a broker alive through many scans", () => {
  const t = start();
  t.register();
  for (let i = 0; i < 20; i++) {
    t.advance(30);
    t.register();
  }
  assert.is(t.liveness(), "alive");
  assert.equal(t.changes, ["0s broker-a.0 unknown->alive"]);
});

test("a silent broker goes suspect, then dead, at the scans RocketMQ would", () => {
  const t = start();
  t.register();
  // Silence is counted from the first scan after the heartbeat (t = 10 s).
  t.advance(59);
  assert.is(t.liveness(), "alive");
  t.advance(1); // scan at 60 s: 50 s counted ≥ 45 s
  assert.is(t.liveness(), "suspect");
  t.advance(69);
  assert.is(t.liveness(), "suspect");
  t.advance(1); // scan at 130 s: RocketMQ's 120 s + one scan interval at most
  assert.is(t.liveness(), "dead");
  assert.equal(t.changes, ["0s broker-a.0 unknown->alive", "60s broker-a.0 alive->suspect", "130s broker-a.0 suspect->dead"]);
});

test("a heartbeat brings a suspect broker back to alive and restarts the count", () => {
  const t = start();
  t.register();
  t.advance(60);
  assert.is(t.liveness(), "suspect");
  t.register();
  assert.is(t.liveness(), "alive");
  t.advance(59);
  assert.is(t.liveness(), "alive", "silence is counted again from zero");
  assert.equal(t.changes.slice(-1), ["60s broker-a.0 suspect->alive"]);
});

test("a heartbeat brings a dead broker back to alive", () => {
  const t = start();
  t.register();
  t.advance(130);
  assert.is(t.liveness(), "dead");
  t.register();
  assert.is(t.liveness(), "alive");
  assert.equal(t.changes.slice(-1), ["130s broker-a.0 dead->alive"]);
});

test("a scan longer than the dead threshold goes straight from alive to dead", () => {
  const clock = new SimulatedClock();
  const seen: LivenessChanged[] = [];
  const machine = nameServerMachine.provide({ actions: { publishLiveness: (_, c: LivenessChanged) => void seen.push(c) } });
  const wide = { scanIntervalMs: 200_000, suspectAfterMs: 45_000, deadAfterMs: 120_000, forgetAfterMs: 1_000_000 };
  const actor = createActor(machine, { clock, input: { id: "ns", timings: wide } }).start();
  actor.send({ type: "REGISTER", registration: registration(), fingerprint: "f", at: 0 });
  clock.increment(200_000);
  clock.increment(200_000);
  assert.equal(seen.map((c) => `${c.from}->${c.to}`), ["unknown->alive", "alive->dead"]);
});

test("a clean unregister removes the broker at once", () => {
  const t = start();
  t.register();
  t.register("broker-b", 0);
  t.actor.send({ type: "UNREGISTER", group: "broker-a", replica: 0 });
  assert.is(t.liveness(), undefined);
  assert.ok(t.actor.getSnapshot().context.brokers.get(brokerKey("broker-b", 0)));
  assert.equal(t.changes.slice(-1), ["0s broker-a.0 alive->removed"]);
});

test("an unregister of an unknown broker changes nothing", () => {
  const t = start();
  t.register();
  t.actor.send({ type: "UNREGISTER", group: "nobody", replica: 3 });
  assert.equal([...t.actor.getSnapshot().context.brokers.keys()], ["broker-a.0"]);
});

test("a dead broker is forgotten after forgetAfter of silence", () => {
  const t = start();
  t.register();
  t.advance(600);
  assert.is(t.liveness(), "dead");
  t.advance(10);
  assert.is(t.liveness(), undefined);
  assert.equal(t.changes.slice(-1), ["610s broker-a.0 dead->removed"]);
});

test("brokers are tracked independently", () => {
  const t = start();
  t.register("broker-a", 0);
  t.register("broker-b", 0);
  for (let i = 0; i < 5; i++) {
    t.advance(30);
    t.register("broker-b", 0);
  }
  assert.is(t.liveness("broker-a.0"), "dead");
  assert.is(t.liveness("broker-b.0"), "alive");
});

test("a broker that registers again after removal starts a fresh liveness actor", () => {
  const t = start();
  t.register();
  t.actor.send({ type: "UNREGISTER", group: "broker-a", replica: 0 });
  t.register();
  assert.is(t.liveness(), "alive");
  assert.equal(t.changes.slice(-1), ["0s broker-a.0 unknown->alive"]);
});

test("while the NameServer is disconnected from NATS its scans count no silence", () => {
  const t = start();
  t.register();
  t.advance(40); // 30 s counted (from the scan at 10 s)
  t.actor.send({ type: "DISCONNECTED" });
  t.advance(300); // long enough to be dead twice over, were it counted
  assert.is(t.liveness(), "alive");
  t.actor.send({ type: "RECONNECTED" });
  t.advance(10); // the first scan after the reconnect starts the count again
  assert.is(t.liveness(), "alive");
  t.register();
  t.advance(50);
  assert.is(t.liveness(), "alive", "the broker re-registered after the reconnect");
  assert.equal(t.changes, ["0s broker-a.0 unknown->alive"], "no suspect, no dead");
});

test("after a reconnect a broker that stays silent goes suspect a scan later than silence alone would say", () => {
  const t = start();
  t.register();
  t.advance(40); // 30 s counted
  t.actor.send({ type: "DISCONNECTED" });
  t.advance(100);
  t.actor.send({ type: "RECONNECTED" });
  t.advance(29); // the scan at 150 s restarts nothing: 30 s + 10 s (scan at 160 s) < 45 s
  assert.is(t.liveness(), "alive");
  t.advance(1); // scan at 170 s: 30 s + 20 s ≥ 45 s
  assert.is(t.liveness(), "suspect");
  assert.equal(t.changes.slice(-1), ["170s broker-a.0 alive->suspect"]);
});

test("a disconnect repeated, or a reconnect without a disconnect, changes nothing", () => {
  const t = start();
  t.register();
  t.actor.send({ type: "RECONNECTED" });
  t.actor.send({ type: "DISCONNECTED" });
  t.actor.send({ type: "DISCONNECTED" });
  assert.is(t.actor.getSnapshot().context.connected, false);
  t.advance(200);
  t.actor.send({ type: "RECONNECTED" });
  assert.is(t.actor.getSnapshot().context.connected, true);
  t.advance(60);
  assert.is(t.liveness(), "suspect", "ticks count again once connected");
});

test.run();
