// The hub's memory, bounded whatever is published: events, samples,
// transitions, nodes and actors each keep at most their limit, a repeated
// state is no transition, a transition says the state it left, stopped actors make room for running ones, and
// quiet nodes no poll lists are forgotten.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { DEFAULT_HUB_LIMITS, HubState } from "../../src/dashboard/hub-state.js";
import type { InspectEvent } from "../../src/runtime/inspect.js";

const test = suite("dashboard hub bounds");
const limits = { ...DEFAULT_HUB_LIMITS, maxNodes: 3, maxActors: 4, transitionsPerNode: 2, maxEvents: 3, sampleWindowMs: 1000, forgetAfterMs: 500 };
const ev = (node: string, actor: string, state: unknown, at = 1, status = "active"): InspectEvent =>
  ({ node, actor, machine: "m", state, status, event: "E", at });

test("events and samples keep the newest within their bounds", () => {
  const s = new HubState(limits);
  for (let i = 0; i < 10; i++) s.event({ subject: "rbus.events.role.a", kind: "role", at: i, data: i });
  assert.equal(s.events.map((e) => e.at), [7, 8, 9]);
  for (const at of [0, 500, 1000, 1600, 2100]) s.sample({ at, brokers: {}, groupLag: {} });
  assert.equal(s.samples.map((x) => x.at), [1600, 2100]);
});

test("transitions per node, nodes and actors stop at their bounds; a repeat is not a transition", () => {
  const s = new HubState(limits);
  for (let i = 0; i < 5; i++) assert.is(s.inspect(ev("n1", "a", `s${i}`), 0), undefined);
  assert.is(s.inspect(ev("n1", "a", "s4"), 0), "repeat");
  assert.equal(s.snapshot({ at: 0, prefix: "rbus", cluster: { at: 0, nameServers: [], brokers: [], topics: [], consumerGroups: [] } }).transitions.n1!.map((e) => e.state), ["s3", "s4"]);
  s.inspect(ev("n2", "a", "x"), 0);
  s.inspect(ev("n3", "a", "x"), 0);
  assert.is(s.inspect(ev("n4", "a", "x"), 0), "nodes");
  s.inspect(ev("n3", "b", "x"), 0);
  assert.is(s.actorTotal, 4);
  assert.is(s.inspect(ev("n3", "c", "x"), 0), "actors");
  s.inspect(ev("n2", "a", "gone", 2, "stopped"), 0);
  assert.is(s.inspect(ev("n3", "c", "x"), 0), undefined, "a stopped actor made room");
  assert.is(s.actorTotal, 4);
});

test("a transition keeps the state its actor left, from a machines answer too", () => {
  const s = new HubState(limits);
  s.replaceActors("n1", [ev("n1", "a", "alive", 1)], 0);
  s.inspect(ev("n1", "a", "suspect", 2), 0);
  s.inspect(ev("n1", "b", "new", 2), 0);
  const kept = s.snapshot({ at: 0, prefix: "rbus", cluster: { at: 0, nameServers: [], brokers: [], topics: [], consumerGroups: [] } }).transitions.n1!;
  assert.equal(kept.map((e) => [e.actor, e.from, e.state]), [["a", "alive", "suspect"], ["b", undefined, "new"]]);
});

test("a machines answer replaces a node's actors, but not with older states than live events gave", () => {
  const s = new HubState(limits);
  s.inspect(ev("n1", "a", "live", 10), 0);
  s.inspect(ev("n1", "old", "x", 1), 0);
  s.replaceActors("n1", [ev("n1", "a", "answered", 5), ev("n1", "b", "answered", 5)], 0);
  assert.equal(s.actorsOf("n1").map((e) => [e.actor, e.state]).sort(), [["a", "live"], ["b", "answered"]]);
  assert.is(s.actorTotal, 2);
});

test("a quiet node no poll lists is forgotten with its actors; a polled one stays", () => {
  const s = new HubState(limits);
  s.inspect(ev("gone", "a", "x"), 0);
  s.touch("ns-1", 0, { kind: "nameserver" });
  s.setPolled(["ns-1"]);
  s.forgetQuiet(1000);
  assert.equal([...s.nodes.keys()], ["ns-1"]);
  assert.is(s.actorTotal, 0);
});

test.run();
