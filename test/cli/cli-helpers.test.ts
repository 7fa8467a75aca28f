// The small pieces behind rbus's messages: nearest names, tag expressions,
// --since, inspect's wording of XState's event names.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { UsageError } from "../../src/cli/args.js";
import { hint } from "../../src/cli/nearest.js";
import { checkTagExpression } from "../../src/cli/tags.js";
import { sinceArg } from "../../src/cli/since.js";
import { eventName } from "../../src/cli/inspect-line.js";
import { resolveNode } from "../../src/cli/inspect-nodes.js";

const test = suite("rbus's name hints, tags, --since, inspect names");

test("hints: the nearest name, else the names there are", () => {
  assert.is(hint("bilingg", ["audit", "billing"], "groups"), "; did you mean billing?");
  assert.is(hint("zzz", ["b", "a"], "groups"), "; groups: a, b");
  assert.is(hint("zzz", [], "groups"), "");
});

test("tag expressions: an empty side of || or a single | is refused", () => {
  for (const ok of ["*", "created", "created || paid", " a||b "]) assert.is(checkTagExpression(ok), ok);
  for (const bad of ["created ||", "|| paid", "", "a || || b", "a | b"]) {
    assert.throws(() => checkTagExpression(bad), (e: unknown) => e instanceof UsageError, bad);
  }
});

test("--since: durations before now, ISO times, ms since the epoch", () => {
  const now = 1_700_000_000_000;
  assert.is(sinceArg("15m", now), now - 15 * 60_000);
  assert.is(sinceArg("90s", now), now - 90_000);
  assert.is(sinceArg("1d", now), now - 86_400_000);
  assert.is(sinceArg("2026-01-31T12:00:00Z", now), Date.parse("2026-01-31T12:00:00Z"));
  assert.is(sinceArg("1700000000000", now), 1_700_000_000_000);
  assert.throws(() => sinceArg("yesterday", now), (e: unknown) => e instanceof UsageError);
});

test("xstate.* event names in words unless --verbose", () => {
  assert.is(eventName("xstate.after.3000.role.candidate", false), "after 3000 ms");
  assert.is(eventName("xstate.init", false), "started");
  assert.is(eventName("xstate.done.actor.fetch", false), "when fetch");
  assert.is(eventName("HEARTBEAT", false), "on HEARTBEAT");
  assert.is(eventName("xstate.init", true), "on xstate.init");
});

test("inspect node names: run-cluster's form, client ids as their subject token, else the list", () => {
  const known = { servers: ["ns-1", "broker-a-0"], clients: ["host.local-12-ab"] };
  assert.is(resolveNode("broker-a.0", known), "broker-a-0");
  assert.is(resolveNode("ns-1", known), "ns-1");
  assert.is(resolveNode("host.local-12-ab", known), "host_local-12-ab");
  assert.throws(() => resolveNode("ns-9", known), /no node "ns-9"; did you mean ns-1\?\nnodes: ns-1, broker-a-0; clients: host\.local-12-ab/);
});

test.run();
