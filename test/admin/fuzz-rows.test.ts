// Every request subject a node answers has a row in the fuzz table
// (test/fuzz/table.ts), so a new API is fuzzed from the day it lands, and
// docs/protocol.md lists it among a replica's endpoints.
import { readFileSync } from "node:fs";
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

test("docs/protocol.md lists every broker API a client may ask among a replica's $SRV endpoints", () => {
  const doc = readFileSync(new URL("../../../docs/protocol.md", import.meta.url), "utf8");
  const line = doc.split("\n").find((l) => l.startsWith("| endpoints |"))!;
  // replication subjects are internal to a group and not listed
  const listed = Object.values(BrokerApi).filter((api) => !api.startsWith("ha."));
  assert.equal(listed.filter((api) => !line.includes(`\`${api.replace(/\./g, "-")}\``)), []);
});

test.run();
