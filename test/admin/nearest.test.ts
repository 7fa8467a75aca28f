// The one nearest-name rule every "did you mean" hint uses, and the member
// details the consumer table keeps within its budget.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { editDistance, MAX_CANDIDATES, nearestName, tagExpressionError } from "../../src/protocol/index.js";
import { ConsumerTable, MAX_DETAIL_ENTRIES } from "../../actors/consumer-table.js";
import { DEFAULT_LIMITS } from "../../actors/limits.js";
import { realClock } from "../../actors/group-transport.js";

const test = suite("nearest names, tag expressions, member details");

test("edit distance counts insertions, deletions and substitutions, without regard to case", () => {
  assert.is(editDistance("bilingg", "billing"), 2);
  assert.is(editDistance("Orders", "orders"), 0);
  assert.is(editDistance("abc", "xyz"), 3);
  assert.is(editDistance("abcdef", "zzzzzz", 2), 3, "stops past the limit");
});

test("the nearest name is a likely typo, or nothing", () => {
  const groups = ["audit", "billing", "shipping"];
  assert.is(nearestName("bilingg", groups), "billing");
  assert.is(nearestName("biling", groups), "billing");
  assert.is(nearestName("bill", groups), "billing", "a prefix");
  assert.is(nearestName("payments", groups), undefined, "nothing alike");
  assert.is(nearestName("billing", groups), undefined, "the name itself exists");
  assert.is(nearestName("ab", ["ad", "ac"]), "ac", "ties go to the smaller name");
  assert.is(nearestName("ab", ["xy"]), undefined, "a short name gets one edit");
  const many = Array.from({ length: 50_000 }, (_, i) => `topic-${i}`);
  const t0 = performance.now();
  nearestName("topik-49999", many);
  assert.ok(performance.now() - t0 < 200, `bounded: at most ${MAX_CANDIDATES} names compared`);
});

test("tag expressions: '*', one tag, or tags joined by ||; an empty alternative or a lone | is refused", () => {
  for (const ok of ["*", "a", "a || b", "a||b||c", " a "]) assert.is(tagExpressionError(ok), undefined, ok);
  for (const bad of ["created ||", "|| a", "a |||| b", "a | b", " || ", "x".repeat(1025)]) assert.ok(tagExpressionError(bad), bad);
});

test("the consumer table keeps each member's details, and drops its queues past the budget", () => {
  const table = new ConsumerTable(() => {}, DEFAULT_LIMITS, realClock);
  const now = Date.now();
  const queues = Array.from({ length: 1000 }, (_, queueId) => ({ topic: "t", queueId }));
  const hb = (clientId: string) => ({ clientId, group: "g", mode: "clustering" as const, topics: ["t"], host: "h", version: "1", queues });
  const full = Math.floor(MAX_DETAIL_ENTRIES / 1001);
  for (let i = 0; i < full + 5; i++) table.heartbeat(hb(`c-${String(i).padStart(5, "0")}`), now);
  const details = table.details("g");
  assert.is(details.length, full + 5, "every member is a member");
  assert.is(details.filter((d) => d.queues.length === 1000).length, full);
  assert.ok(details.slice(full).every((d) => d.queues.length === 0 && d.host === "h"), "past the budget: no queues, the rest kept");
  assert.is(table.owners("g").get("t\u00000"), "c-00000", "the first by client id owns a queue two claim");
  // a member that leaves gives its entries back
  table.unregister("g", "c-00000");
  table.heartbeat(hb("c-new"), now);
  assert.is(table.details("g").find((d) => d.clientId === "c-new")!.queues.length, 1000);
  table.close();
});

test.run();
