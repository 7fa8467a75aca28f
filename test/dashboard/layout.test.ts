import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { LaidState, MachinesReply } from "../../src/dashboard/api.js";
import { layoutMachines, transitionLabel } from "../../src/dashboard/layout.js";
import { MACHINES } from "../../src/machines-doc/catalog.js";
import { walkMachine, type StateGraph } from "../../src/machines-doc/graph.js";

const test = suite("machine layout");
let reply: MachinesReply;

test.before(async () => {
  reply = await layoutMachines();
});

const allIds = (s: StateGraph): string[] => s.states.flatMap((c) => [c.id, ...allIds(c)]);
const EPS = 1;
const inside = (c: { x: number; y: number; width: number; height: number }, p: LaidState) =>
  c.x >= p.x - EPS && c.y >= p.y - EPS && c.x + c.width <= p.x + p.width + EPS && c.y + c.height <= p.y + p.height + EPS;
/** On the box's border, give or take a pixel. */
function onBorder([x, y]: [number, number], b: LaidState): boolean {
  const withinX = x >= b.x - EPS && x <= b.x + b.width + EPS;
  const withinY = y >= b.y - EPS && y <= b.y + b.height + EPS;
  const nearV = Math.abs(x - b.x) <= EPS || Math.abs(x - b.x - b.width) <= EPS;
  const nearH = Math.abs(y - b.y) <= EPS || Math.abs(y - b.y - b.height) <= EPS;
  return (withinY && nearV) || (withinX && nearH);
}

test("every machine of the catalog, every state laid out, parents first", () => {
  assert.equal(reply.machines.map((m) => m.name), MACHINES.map((e) => e.name));
  for (const [i, entry] of MACHINES.entries()) {
    const laid = reply.machines[i]!;
    const graph = walkMachine(entry.machine);
    assert.is(laid.machine, graph.id);
    assert.ok(laid.purpose.length > 10, `${laid.name} has a purpose`);
    assert.equal(laid.states.map((s) => s.id).sort(), allIds(graph.root).sort(), laid.name);
    const seen = new Set<string>();
    for (const s of laid.states) {
      assert.ok(s.parent === "" || seen.has(s.parent), `${s.id} after its parent`);
      seen.add(s.id);
      assert.ok(s.width > 0 && s.height > 0, `${laid.name}.${s.id} has a size`);
      assert.ok(s.x >= 0 && s.y >= 0 && s.x + s.width <= laid.width + EPS && s.y + s.height <= laid.height + EPS, `${s.id} within the drawing`);
    }
  }
});

test("children lie inside their parent's box, and one initial state per compound", () => {
  let nested = 0;
  for (const m of reply.machines) {
    const byId = new Map(m.states.map((s) => [s.id, s]));
    for (const s of m.states) {
      if (!s.parent) continue;
      nested++;
      assert.ok(inside(s, byId.get(s.parent)!), `${m.name}: ${s.id} inside ${s.parent}`);
    }
    for (const parent of ["", ...m.states.filter((s) => s.type === "compound").map((s) => s.id)]) {
      const kids = m.states.filter((s) => s.parent === parent);
      if (kids.length) assert.is(kids.filter((k) => k.initial).length, 1, `${m.name}: one initial in "${parent}"`);
    }
  }
  assert.ok(nested >= 4, "the catalog has compound states (role's candidate, rebalance's running)");
});

test("every edge starts on its source box and ends on its target box", () => {
  for (const m of reply.machines) {
    const byId = new Map(m.states.map((s) => [s.id, s]));
    assert.ok(m.edges.length > 0, m.name);
    for (const e of m.edges) {
      const what = `${m.name}: ${e.from} -> ${e.to} "${e.label}"`;
      assert.ok(e.points.length >= 2, what);
      assert.ok(onBorder(e.points[0]!, byId.get(e.from)!), `${what} starts on ${e.from}: ${JSON.stringify(e.points[0])}`);
      assert.ok(onBorder(e.points.at(-1)!, byId.get(e.to)!), `${what} ends on ${e.to}: ${JSON.stringify(e.points.at(-1))}`);
      const l = e.labelAt;
      assert.ok(l.width > 0 && l.x >= 0 && l.y >= 0 && l.x + l.width <= m.width + EPS && l.y + l.height <= m.height + EPS, `${what} label box`);
    }
  }
});

test("transitions between the same two states share one arrow, their labels stacked, not overlapping", () => {
  const slave = reply.machines.find((m) => m.machine === "role")!.edges.filter((e) => e.from === "slave" && e.to === "slave");
  assert.ok(slave.length >= 5, "the role machine's slave has many self transitions");
  assert.equal(new Set(slave.map((e) => JSON.stringify(e.points))).size, 1, "one loop");
  const rows = slave.map((e) => e.labelAt.y).sort((a, b) => a - b);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i]! - rows[i - 1]! >= slave[0]!.labelAt.height, "one row each");
});

test("each transition of the definition is one edge, labelled as it reads", () => {
  for (const [i, entry] of MACHINES.entries()) {
    const graph = walkMachine(entry.machine);
    const count = (s: StateGraph): number =>
      (s.id === "" ? 0 : s.transitions.reduce((n, t) => n + Math.max(1, t.targets.length), 0)) + s.states.reduce((n, c) => n + count(c), 0);
    assert.is(reply.machines[i]!.edges.length, count(graph.root), entry.name);
  }
  const labels = reply.machines.flatMap((m) => m.edges.map((e) => `${m.machine}:${e.from}:${e.label}`));
  assert.ok(labels.includes("liveness:alive:TICK [silentPastSuspect]"), labels.join("\n"));
  assert.ok(labels.includes("registration:registered:after heartbeatInterval"));
  assert.ok(labels.some((l) => /^role:starting:always$/.test(l)));
  assert.is(transitionLabel({ kind: "after", event: "30000", targets: [], reenter: false, actions: [] }), "after 30s");
  assert.is(transitionLabel({ kind: "done", event: "fetch", guard: "ok", targets: [], reenter: false, actions: [] }), "done fetch [ok]");
});

test("the role machine fits a 1280-wide page, master drawn above slave and candidate", () => {
  const role = reply.machines.find((m) => m.machine === "role")!;
  assert.ok(role.width <= 1000 && role.height <= 920, `role is ${role.width}x${role.height}`);
  const y = (id: string) => role.states.find((s) => s.id === id)!.y;
  assert.ok(y("master") < y("slave") && y("master") < y("candidate"), "master near the top, where a lit master shows first");
  for (const m of reply.machines) assert.ok(m.width <= 1240, `${m.name} is ${m.width} wide`);
});

test("a state's self transitions are listed inside its box, one row each, under its name", () => {
  for (const m of reply.machines.filter((x) => x.machine !== "liveness")) {
    const byId = new Map(m.states.map((s) => [s.id, s]));
    for (const s of m.states) {
      const loops = m.edges.filter((e) => e.from === s.id && e.to === s.id);
      assert.is(s.loops ?? 0, loops.length, `${m.name}.${s.id} counts its self transitions`);
      const rows = loops.map((e) => e.labelAt).sort((a, b) => a.y - b.y);
      for (const [i, l] of rows.entries()) {
        assert.ok(inside(l, byId.get(s.id)!), `${m.name}.${s.id}: "${loops[i]!.label}" inside the box`);
        if (i > 0) assert.ok(l.y - rows[i - 1]!.y >= l.height, `${m.name}.${s.id}: one row each`);
      }
    }
  }
});

test("an initial state's marker has room: no arrow meets its left side where the marker is drawn", () => {
  for (const m of reply.machines) {
    for (const s of m.states.filter((x) => x.initial)) {
      const markerY = s.y + Math.min(s.height / 2, 17); // as statechart.ts draws it, 13 px left of the box
      // liveness is drawn only small, which leaves out its loops
      for (const e of m.edges.filter((x) => m.machine !== "liveness" || x.from !== x.to)) {
        for (const [x, y] of [e.points[0]!, e.points.at(-1)!]) {
          const onLeft = Math.abs(x - s.x) <= EPS && y >= s.y - EPS && y <= s.y + s.height + EPS;
          assert.ok(!onLeft || Math.abs(y - markerY) > 6, `${m.name}: ${e.from} -> ${e.to} meets ${s.id}'s left side at the initial marker`);
        }
      }
    }
  }
});

test.run();
