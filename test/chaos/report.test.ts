// The summary names what a reader needs to act: the rule, the message id and
// queue, the faults around its acknowledgement, and the replay command.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { Verdict } from "./checker.js";
import type { Evidence } from "./collect.js";
import type { Applied } from "./faults.js";
import { formatSummary } from "./report.js";

const applied = (cycle: number, startedAt: number): Applied => ({
  step: { cycle, quietMs: 100, fault: { kind: "torn-tail", group: "broker-b", cutBytes: 40 } },
  description: `#${cycle} torn-tail`,
  startedAt,
  endedAt: startedAt + 10,
  reports: [],
});

const evidence = (): Evidence => ({
  sent: new Set(["m1"]),
  acks: [{ body: "m1", msgId: "broker-b:0000000000001f5e", topic: "chaos", queueId: 3, queueOffset: 21, at: 1500 }],
  failures: new Map([["DEADLINE_EXCEEDED", 4]]),
  reads: new Map([["audit", [{ body: "m1", msgId: "broker-b:0000000000001f5e", group: "broker-b", topic: "chaos", queueId: 3, queueOffset: 21, session: "a.1", lease: 1 }]]]),
  reports: [],
  injected: [],
});

const verdict = (ok: boolean): Verdict => ({
  ok,
  acked: 1,
  read: ok ? 1 : 0,
  damaged: 0,
  duplicateReads: 0,
  storedTwice: 0,
  violations: ok ? [] : [{ kind: "lost", body: "m1", msgId: "broker-b:0000000000001f5e", queue: "broker-b/chaos/3@21", at: 1500 }],
});

const test = suite("formatSummary");
test("a loss is named with its queue, the faults around its ack, who read it, and the replay", () => {
  const text = formatSummary({
    seed: 7, cycles: 2, applied: [applied(1, 1000), applied(2, 2000)], evidence: evidence(),
    verdicts: new Map([["live", verdict(false)], ["audit", verdict(true)]]), logs: "/tmp/x/logs", replay: "make chaos SEED=7 CYCLES=2",
  });
  assert.match(text, "chaos seed=7 cycles=2: faults injected torn-tail×2");
  assert.match(text, "refused 4 (DEADLINE_EXCEEDED 4)");
  assert.match(text, "live: 1 lost");
  assert.match(text, "lost broker-b:0000000000001f5e at broker-b/chaos/3@21 (body m1); acknowledged after #1 torn-tail broker-b, before #2 torn-tail broker-b; stored intact: audit read it");
  assert.match(text, "replay: make chaos SEED=7 CYCLES=2");
});
test("a passing run prints no replay line", () => {
  const text = formatSummary({ seed: 7, cycles: 0, applied: [], evidence: evidence(), verdicts: new Map([["audit", verdict(true)]]), replay: "make chaos SEED=7" });
  assert.not.match(text, "replay:");
  assert.match(text, "faults injected none");
});
test.run();
