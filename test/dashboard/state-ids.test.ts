import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { activeStateIds } from "../../src/dashboard/state-ids.js";

const test = suite("activeStateIds");

test("a flat state is its own id", () => {
  assert.equal(activeStateIds("alive"), ["alive"]);
});

test("a nested state lights its parent and itself", () => {
  assert.equal(activeStateIds({ candidate: "preVote" }), ["candidate", "candidate.preVote"]);
});

test("parallel regions light one path each", () => {
  assert.equal(activeStateIds({ a: { b: "c" }, d: "e" }), ["a", "a.b", "a.b.c", "d", "d.e"]);
});

test("what is not a state value lights nothing", () => {
  for (const v of [undefined, null, 3, ["x"]]) assert.equal(activeStateIds(v), []);
});

test.run();
