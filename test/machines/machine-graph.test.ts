import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { fromPromise, setup } from "xstate";
import { walkMachine, type StateGraph } from "../../src/machines-doc/graph.js";
import { renderMermaid } from "../../src/machines-doc/mermaid.js";
import { exportAll } from "../../src/machines-doc/document.js";

// Nested, parallel, delayed (named and in ms), guarded, eventless, invoked and final, in one small machine.
const sample = setup({
  guards: { ready: () => true, full: () => false },
  delays: { patience: 1000 },
  actors: { load: fromPromise(async () => 1) },
  actions: { note: () => {} },
}).createMachine({
  id: "sample",
  initial: "idle",
  on: { RESET: ".idle", PING: { actions: "note" } },
  states: {
    idle: { on: { GO: { guard: "ready", target: "work.fetch.fetching" }, RESET: {} } },
    work: {
      type: "parallel",
      on: { STOP: "done" },
      states: {
        fetch: {
          initial: "fetching",
          states: {
            fetching: { invoke: { src: "load", onDone: "fetched", onError: "failed" } },
            fetched: { type: "final" },
            failed: { after: { patience: "fetching", 500: { target: "#sample.done" } } },
          },
        },
        // A second "idle": Mermaid ids are keys only where keys are unique.
        watch: { initial: "idle", states: { idle: { always: { guard: "full", target: "loud" } }, loud: {} } },
      },
    },
    done: { type: "final" },
  },
});

function find(s: StateGraph, id: string): StateGraph {
  if (s.id === id) return s;
  for (const c of s.states) {
    const hit = id.startsWith(c.id) ? find(c, id) : undefined;
    if (hit) return hit;
  }
  throw new Error(`no state ${id}`);
}

const walker = suite("walkMachine");

walker("reads states, their kinds and initial states", () => {
  const { id, root } = walkMachine(sample);
  assert.is(id, "sample");
  assert.is(root.initial, "idle");
  assert.equal(root.states.map((s) => [s.id, s.type]), [["idle", "atomic"], ["work", "parallel"], ["done", "final"]]);
  assert.is(find(root, "work").initial, undefined);
  assert.equal(find(root, "work").states.map((s) => s.id), ["work.fetch", "work.watch"]);
  assert.is(find(root, "work.fetch").initial, "work.fetch.fetching");
  assert.is(find(root, "work.fetch.fetched").type, "final");
});

walker("reads events, guards, targets and actions", () => {
  const { root } = walkMachine(sample);
  assert.equal(root.transitions, [
    { kind: "event", event: "RESET", targets: ["idle"], reenter: false, actions: [] },
    { kind: "event", event: "PING", targets: [], reenter: false, actions: ["note"] },
  ]);
  assert.equal(find(root, "idle").transitions, [
    { kind: "event", event: "GO", guard: "ready", targets: ["work.fetch.fetching"], reenter: false, actions: [] },
    { kind: "event", event: "RESET", targets: [], reenter: false, actions: [] },
  ]);
  assert.equal(find(root, "work.watch.idle").transitions, [
    { kind: "always", event: "", guard: "full", targets: ["work.watch.loud"], reenter: false, actions: [] },
  ]);
});

walker("names delays and invoked actors instead of xstate's internal event types", () => {
  const { root } = walkMachine(sample);
  const failed = find(root, "work.fetch.failed").transitions;
  assert.equal(failed.map((t) => [t.kind, t.event, t.targets]).sort(), [["after", "500", ["done"]], ["after", "patience", ["work.fetch.fetching"]]]);
  const fetching = find(root, "work.fetch.fetching");
  assert.equal(fetching.invoke, ["load"]);
  assert.equal(fetching.transitions.map((t) => [t.kind, t.event, t.targets]), [["done", "load", ["work.fetch.fetched"]], ["error", "load", ["work.fetch.failed"]]]);
});

walker.run();

const mermaid = suite("renderMermaid");



mermaid("draws initial, final and parallel regions", () => {
  const text = renderMermaid(walkMachine(sample));
  const lines = text.split("\n");
  assert.is(lines[0], "stateDiagram-v2");
  for (const line of [
    "  [*] --> idle",
    "  state work {",
    "    state fetch {",
    "    --",
    "      [*] --> fetching",
    "      fetching --> fetched : done load",
    "      fetching --> failed : error load",
    "      fetched --> [*]",
    "      failed --> fetching : after patience",
    "      [*] --> work_watch_idle",
    "      state \"idle\" as work_watch_idle",
    "      work_watch_idle --> loud : always [full]",
    "  done --> [*]",
  ]) assert.ok(lines.includes(line), `missing ${JSON.stringify(line)} in\n${text}`);
});

mermaid("lifts edges across composite states and names the real end", () => {
  const lines = renderMermaid(walkMachine(sample)).split("\n");
  assert.ok(lines.includes("  idle --> work : GO [ready] → fetch.fetching"));
  // STOP and the 500 ms delay both go from work to done: one edge, one label a line.
  assert.ok(lines.includes("  work --> done : STOP<br/>after 500ms from fetch.failed"));
});

mermaid("draws a root transition from each state that does not answer the event itself", () => {
  const lines = renderMermaid(walkMachine(sample)).split("\n");
  assert.ok(lines.includes("  work --> idle : RESET"));
  assert.not.ok(lines.some((l) => l.startsWith("  idle --> idle")), "idle answers RESET itself");
  assert.not.ok(lines.some((l) => l.startsWith("  done -->") && !l.includes("[*]")), "a final state takes no event");
  assert.ok(lines.includes("  idle : RESET"));
  const note = lines.indexOf("  note left of idle");
  assert.equal(lines.slice(note, note + 4), ["  note left of idle", "    in every state:", "    PING / note", "  end note"]);
});

mermaid.run();

const json = suite("JSON export");

function checkState(s: StateGraph, ids: Set<string>, parent: string | null): void {
  assert.type(s.key, "string");
  assert.ok(["atomic", "compound", "parallel", "final", "history"].includes(s.type), s.type);
  if (parent !== null) assert.is(s.id, parent === "" ? s.key : `${parent}.${s.key}`);
  assert.is(s.initial === undefined, s.type !== "compound", `initial of ${s.id}`);
  if (s.initial !== undefined) assert.ok(s.states.some((c) => c.id === s.initial), `initial of ${s.id} is a child`);
  for (const list of [s.entry, s.exit, s.invoke]) assert.ok(list.every((x) => typeof x === "string"));
  for (const t of s.transitions) {
    assert.ok(["event", "after", "always", "done", "error"].includes(t.kind), t.kind);
    assert.is(t.event === "", t.kind === "always", `event of a transition of ${s.id}`);
    for (const target of t.targets) assert.ok(ids.has(target), `${s.id} targets ${target}, a state of the machine`);
  }
  for (const c of s.states) checkState(c, ids, s.id);
}

json("every machine exports as plain JSON whose targets and initial states are its own states", async () => {
  const machines = await exportAll();
  assert.equal(JSON.parse(JSON.stringify(machines)), machines, "nothing but plain data");
  for (const m of machines) {
    assert.equal(Object.keys(m).sort(), ["graph", "name", "purpose", "source"]);
    assert.is(m.source, `machines/${m.name}.ts`);
    const ids = new Set<string>();
    const collect = (s: StateGraph): void => void (ids.add(s.id), s.states.forEach(collect));
    collect(m.graph.root);
    assert.is(m.graph.root.id, "");
    checkState(m.graph.root, ids, null);
  }
});

json("the role machine's campaign is nested and its timeouts are guarded", async () => {
  const role = (await exportAll()).find((m) => m.name === "role")!;
  const candidate = find(role.graph.root, "candidate");
  assert.is(candidate.initial, "candidate.preVote");
  assert.ok(candidate.transitions.some((t) => t.event === "TICK" && t.guard === "timedOut" && t.targets[0] === "candidate.preVote" && t.reenter));
});

json.run();
