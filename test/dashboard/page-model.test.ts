// The page's pure parts: rates from the server's counters (a restart must
// not plot a negative rate), the model's bounds, and the transitions list
// a node's aside shows.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { BrokerRow, DashboardSnapshot, Sample } from "../../src/dashboard/api.js";
import type { InspectEvent } from "../../src/runtime/inspect.js";
import { groupLag, increase, messageRates, replicationLag } from "../../src/dashboard/web/rates.js";
import { apply, createModel, stateText, transitionsOf } from "../../src/dashboard/web/model.js";
import { newestTerm, roleConflict, topRole } from "../../src/dashboard/web/roles.js";

const broker = (put: number, pull: number, role = "master", lagBytes?: number) => ({ put, putBytes: put * 10, pull, pullBytes: pull * 10, role, ...(lagBytes === undefined ? {} : { lagBytes }) });
const sample = (at: number, brokers: Sample["brokers"], groupLag: Record<string, number> = {}): Sample => ({ at, brokers, groupLag });

const rates = suite("rates");

rates("a counter's increase, and after a restart the count since it", () => {
  assert.is(increase(10, 25), 15);
  assert.is(increase(500, 40), 40);
});

rates("produce and consume rates in msg/s, summed over brokers", () => {
  const s = messageRates([
    sample(0, { a: broker(100, 50), b: broker(0, 0) }),
    sample(2000, { a: broker(300, 150), b: broker(40, 0) }),
  ]);
  assert.equal(s.data[0], [2]);
  assert.equal(s.data[1], [120]);
  assert.equal(s.data[2], [50]);
});

rates("a broker restarted between two samples yields no negative rate", () => {
  const s = messageRates([sample(0, { a: broker(10_000, 9_000) }), sample(1000, { a: broker(30, 20) }), sample(2000, { a: broker(80, 70) })]);
  assert.equal(s.data[1], [30, 50]);
  assert.equal(s.data[2], [20, 50]);
  for (const col of s.data.slice(1)) for (const v of col) assert.ok(v !== null && v >= 0);
});

rates("a broker first seen counts from its next sample, not with all it counted before", () => {
  const s = messageRates([sample(0, { a: broker(0, 0) }), sample(1000, { a: broker(5, 0), b: broker(9_999, 0) })]);
  assert.equal(s.data[1], [5]);
});

rates("lag per group and per slave, gaps where a series has no value", () => {
  const samples = [
    sample(1000, { m: broker(0, 0), s: broker(0, 0, "slave", 400) }, { billing: 3 }),
    sample(2000, { m: broker(0, 0), s: broker(0, 0, "master") }, { billing: 1, audit: 7 }),
  ];
  const g = groupLag(samples);
  assert.equal(g.names, ["audit", "billing"]);
  assert.equal(g.data, [[1, 2], [null, 7], [3, 1]]);
  const r = replicationLag(samples);
  assert.equal(r.names, ["s"]);
  assert.equal(r.data, [[1, 2], [400, null]]);
});

rates.run();

const ev = (node: string, actor: string, state: unknown, at: number, event = "TICK"): InspectEvent => ({ node, actor, machine: "liveness", state, status: "active", event, at });
const snapshot = (): DashboardSnapshot => ({
  at: 0,
  prefix: "rbus",
  nodes: [],
  actors: [ev("ns-1", "liveness-broker-a.0", "alive", 1)],
  transitions: { "ns-1": [ev("ns-1", "liveness-broker-a.0", "alive", 1, "xstate.init")] },
  cluster: { at: 0, nameServers: [], brokers: [], topics: [], consumerGroups: [] },
  events: [],
  samples: [],
});

const model = suite("model");

model("transitions of a node, newest first, each from its actor's state before", () => {
  const m = createModel(snapshot(), []);
  apply(m, { type: "inspect", data: ev("ns-1", "liveness-broker-a.0", "suspect", 2) });
  apply(m, { type: "inspect", data: ev("ns-1", "liveness-broker-a.0", "dead", 3) });
  const t = transitionsOf(m, "ns-1");
  assert.equal(t.map((x) => [x.from, x.to]), [["suspect", "dead"], ["alive", "suspect"], ["", "alive"]]);
  assert.is(m.actors.get("ns-1\u0000liveness-broker-a.0")?.state, "dead");
});

model("an actor's first transition starts from the state the snapshot showed, which no transition had said", () => {
  // the server asked rbus.machines: the actor is known alive, with no transition yet
  const m = createModel({ ...snapshot(), transitions: {} }, []);
  apply(m, { type: "inspect", data: ev("ns-1", "liveness-broker-a.0", "suspect", 2) });
  apply(m, { type: "inspect", data: ev("ns-1", "liveness-broker-a.0", "dead", 3) });
  assert.equal(transitionsOf(m, "ns-1").map((x) => [x.from, x.to]), [["suspect", "dead"], ["alive", "suspect"]]);
});

model("a snapshot's transitions say the state their actor left, as the server knew it", () => {
  const first = { ...ev("ns-1", "liveness-broker-a.0", "suspect", 2), from: "alive" };
  const m = createModel({ ...snapshot(), actors: [first], transitions: { "ns-1": [first] } }, []);
  assert.equal(transitionsOf(m, "ns-1").map((x) => [x.from, x.to]), [["alive", "suspect"]]);
});

model("an event older than the actor's latest does not turn its chart back", () => {
  const m = createModel(snapshot(), []);
  apply(m, { type: "inspect", data: ev("ns-1", "liveness-broker-a.0", "dead", 5) });
  apply(m, { type: "inspect", data: ev("ns-1", "liveness-broker-a.0", "suspect", 4) });
  assert.is(m.actors.get("ns-1\u0000liveness-broker-a.0")?.state, "dead");
});

model("keeps 50 transitions per node, 500 events and 10 minutes of samples", () => {
  const m = createModel(snapshot(), []);
  for (let i = 0; i < 80; i++) apply(m, { type: "inspect", data: ev("ns-1", "liveness-broker-a.0", i % 2 ? "alive" : "suspect", 10 + i) });
  for (let i = 0; i < 520; i++) apply(m, { type: "event", data: { subject: "rbus.events.role.x", kind: "role", at: i, data: {} } });
  for (let i = 0; i <= 700; i++) apply(m, { type: "sample", data: sample(i * 1000, {}) });
  assert.is(m.snapshot.transitions["ns-1"]!.length, 50);
  assert.is(m.snapshot.events.length, 500);
  assert.is(m.snapshot.events[0]!.at, 20);
  assert.is(m.snapshot.samples[0]!.at, 100_000);
});

model("state values as text: nested by dots, parallel regions listed", () => {
  assert.is(stateText("alive"), "alive");
  assert.is(stateText({ candidate: "preVote" }), "candidate.preVote");
  assert.is(stateText({ running: { heartbeat: "waiting", balance: "balanced" } }), "running(heartbeat.waiting, balance.balanced)");
});

model("a replica's routed and own roles: told apart only where they differ", () => {
  const killed = roleConflict("slave", "master");
  assert.ok(killed?.includes("route it as slave") && killed.includes("last said master"), killed);
  assert.is(roleConflict("master", "master"), undefined);
  assert.is(roleConflict("slave", undefined), undefined, "no claim: the route is all there is");
  assert.is(roleConflict("slave", "candidate"), undefined, "a candidate is routed as slave: no contradiction");
  assert.is(topRole("candidate.preVote"), "candidate");
  // by term: a killed master (term 1) while the group's route holds term 2; a replica just elected (term 2) before the route says so
  assert.ok(roleConflict("slave", "master", 1, 2)?.includes("newer term (2)"));
  assert.is(roleConflict("slave", "master", 2, 1), undefined, "the route is catching up with a new master");
  const row = (group: string, term: number) => ({ group, term }) as BrokerRow;
  assert.is(newestTerm([row("a", 1), row("a", 3), row("b", 9)], "a"), 3);
  assert.is(newestTerm([], "a"), undefined);
});

model.run();
