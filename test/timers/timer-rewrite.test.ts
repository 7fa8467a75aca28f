// The rules of a timed message: which property asks for what, the levels
// string, the horizon, and the round trip into the timer topic and out.
import * as assert from "uvu/assert";
import { parseDelayLevels, parseDuration } from "../../actors/timer-levels.js";
import { requestedDueTime, timerRecordToMessage, toTimerMessage } from "../../actors/timer-rewrite.js";
import { delayProperty } from "../../src/client/producer-delay.js";
import { delayArgs } from "../../src/cli/timer-args.js";
import { Prop, TIMER_TOPIC } from "../../src/protocol/system-topics.js";
import type { StoredMessage } from "../../src/store/index.js";
import { suite } from "../harness/suite.js";

const test = suite("timer rules");
const rules = { levels: parseDelayLevels("1s 5s 2m"), horizonMs: 3_600_000 };
const now = 1_000_000;
const code = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return "none";
};

test("levels and durations", () => {
  assert.equal(rules.levels, [1000, 5000, 120_000]);
  assert.equal(parseDelayLevels("100ms 1.5s 1h 2d"), [100, 1500, 3_600_000, 172_800_000]);
  assert.throws(() => parseDelayLevels("1s nope"), /delay level 2/);
  assert.throws(() => parseDelayLevels(" "), /at least one/);
  assert.is(parseDuration("250"), 250);
  assert.is(parseDuration("5x"), undefined);
});

test("each property's due time; DELAY=0 and no property are none", () => {
  assert.is(requestedDueTime({ DELAY: "2" }, rules, now), now + 5000);
  assert.is(requestedDueTime({ DELAY: "0" }, rules, now), undefined);
  assert.is(requestedDueTime({ other: "1" }, rules, now), undefined);
  assert.is(requestedDueTime({ [Prop.timerDeliverMs]: String(now + 7) }, rules, now), now + 7);
  assert.is(requestedDueTime({ [Prop.timerDelayMs]: "250" }, rules, now), now + 250);
  assert.is(requestedDueTime({ [Prop.timerDelaySec]: "3" }, rules, now), now + 3000);
});

test("typed refusals", () => {
  assert.is(code(() => requestedDueTime({ DELAY: "4" }, rules, now)), "BAD_REQUEST");
  assert.is(code(() => requestedDueTime({ DELAY: "-1" }, rules, now)), "BAD_REQUEST");
  assert.is(code(() => requestedDueTime({ DELAY: "1.5" }, rules, now)), "BAD_REQUEST");
  assert.is(code(() => requestedDueTime({ [Prop.timerDelaySec]: "3601" }, rules, now)), "BAD_REQUEST");
  assert.is(code(() => requestedDueTime({ DELAY: "1", [Prop.timerDeliverMs]: "5" }, rules, now)), "BAD_REQUEST");
  assert.is(code(() => delayProperty({ delayLevel: 0 })), "BAD_REQUEST");
  assert.is(code(() => delayProperty({ delayMs: 5, deliverAt: 9 })), "BAD_REQUEST");
});

test("into the timer topic and out: the timer properties go, TIMER_QUEUE_OFFSET comes", () => {
  const t = toTimerMessage({ topic: "orders", queueId: 3, body: Buffer.from("b"), tags: "tg", keys: "k1", properties: { DELAY: "2", app: "x", [Prop.timerQueueOffset]: "9" } }, now + 5000);
  assert.is(t.topic, TIMER_TOPIC);
  assert.is(t.queueId, 0);
  assert.equal(t.properties, { DELAY: "2", app: "x", [Prop.realTopic]: "orders", [Prop.realQueueId]: "3", [Prop.timerOutMs]: String(now + 5000) });
  const stored = { ...t, queueOffset: 41, commitLogOffset: 0, size: 0, term: 1, bornTimestamp: now, storeTimestamp: now, flags: 0, tags: "tg", keys: "k1", body: Buffer.from("b") } as StoredMessage;
  const out = timerRecordToMessage(stored);
  assert.is(out.topic, "orders");
  assert.is(out.queueId, 3);
  assert.equal(out.properties, { app: "x", [Prop.timerQueueOffset]: "41" });
  assert.is(out.tags, "tg");
});

test("rbus send --delay and --deliver-at", () => {
  assert.equal(delayArgs("3", undefined), { delayLevel: 3 });
  assert.equal(delayArgs("90s", undefined), { delayMs: 90_000 });
  assert.equal(delayArgs(undefined, "1970-01-01T00:00:01.500Z"), { deliverAt: 1500 });
  assert.throws(() => delayArgs("soon", undefined), /level .* or a duration/);
  assert.throws(() => delayArgs("1", "5"), /give one/);
});

test.run();
