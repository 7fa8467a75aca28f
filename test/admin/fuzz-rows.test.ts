// Every request subject a node answers has a row in the fuzz table
// (test/fuzz/table.ts), so a new API is fuzzed from the day it lands.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { BrokerApi, subjects } from "../../src/protocol/index.js";
import { SUBJECTS } from "../fuzz/table.js";

const test = suite("the fuzz table covers every request subject");

test("every broker API has a row", () => {
  const fuzzed = new Set(SUBJECTS.filter((s) => s.node !== "ns").map((s) => s.api));
  const missing = Object.values(BrokerApi).filter((api) => !fuzzed.has(api));
  assert.equal(missing, [], `no fuzz row for ${missing.join(", ")}`);
});

test("every NameServer request subject has a row", () => {
  const ns = subjects().ns;
  // hello is published, not asked; queueGroup is no subject
  const asked = Object.keys(ns).filter((k) => k !== "hello" && k !== "queueGroup");
  const fuzzed = new Set(SUBJECTS.filter((s) => s.node === "ns").map((s) => s.api));
  assert.equal(asked.filter((k) => !fuzzed.has(k)), []);
});

test.run();
