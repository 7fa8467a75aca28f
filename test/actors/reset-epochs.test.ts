// Reset epochs: each reset of a queue starts a newer epoch, even when the
// clock stands still or steps back; commits read under an older epoch are
// stale; other groups and queues are untouched.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { ResetEpochs } from "../../actors/reset-epochs.js";

const test = suite("reset epochs");

test("a reset starts a newer epoch; older commits are stale, others' untouched", () => {
  let now = 1000;
  const e = new ResetEpochs(() => now);
  assert.is(e.get("g", "t", 0), 0);
  assert.not.ok(e.stale("g", "t", 0, undefined), "no reset: any commit goes");
  const first = e.bump("g", "t", 0);
  assert.is(first, 1000);
  assert.ok(e.stale("g", "t", 0, undefined) && e.stale("g", "t", 0, 999));
  assert.not.ok(e.stale("g", "t", 0, first));
  now = 500; // the clock stepped back
  const second = e.bump("g", "t", 0);
  assert.is(second, 1001);
  assert.ok(e.stale("g", "t", 0, first));
  assert.not.ok(e.stale("g", "t", 1, undefined) || e.stale("h", "t", 0, undefined), "another queue or group");
});

test.run();
