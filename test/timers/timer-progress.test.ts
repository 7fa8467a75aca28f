// Where a rebuild starts scanning the log for deliveries. A delivery of a
// timer follows that timer's record, so the scan never starts before the
// first undelivered timer's record, and not at all when there is none: a
// broker with a large log and no timers must not read it all at every start.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { loadProgress, TIMER_LOG_FROM, TIMER_PROGRESS_GROUP } from "../../actors/timer-progress.js";
import { Prop, TIMER_TOPIC } from "../../src/protocol/system-topics.js";
import { MessageStore } from "../../src/store/index.js";
import { suite } from "../harness/suite.js";

const test = suite<{ dir: string; store: MessageStore }>("timer progress: where a rebuild scans from");

test.before.each(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-timer-progress-"));
  ctx.store = await MessageStore.open(ctx.dir);
  const body = Buffer.alloc(1000);
  await ctx.store.put(Array.from({ length: 50 }, () => ({ topic: "orders", queueId: 0, body })));
});
test.after.each(async (ctx) => {
  await ctx.store.close();
  rmSync(ctx.dir, { recursive: true, force: true });
});

const timer = (i: number) => ({ topic: TIMER_TOPIC, queueId: 0, body: Buffer.from(`t${i}`), properties: { [Prop.realTopic]: "orders", [Prop.realQueueId]: "0", [Prop.timerOutMs]: "1" } });

test("no timer ever stored, no progress saved: nothing to scan, from the log's end", ({ store }) => {
  assert.equal(loadProgress(store), { scanFrom: 0, logFrom: store.maxPhysicalOffset });
});

test("timers after other messages, no progress saved: the scan starts at the first timer's record", async ({ store }) => {
  const put = await store.put([timer(0), timer(1)]);
  assert.ok(put.results[0]!.commitLogOffset > 0);
  assert.equal(loadProgress(store), { scanFrom: 0, logFrom: put.results[0]!.commitLogOffset });
});

test("saved progress past every timer: nothing to scan beyond the saved log offset or the first pending timer", async ({ store }) => {
  const put = await store.put([timer(0), timer(1), timer(2)]);
  store.offsets.commit(TIMER_PROGRESS_GROUP, TIMER_TOPIC, 0, 1);
  store.offsets.commit(TIMER_PROGRESS_GROUP, TIMER_LOG_FROM, 0, 10);
  assert.equal(loadProgress(store), { scanFrom: 1, logFrom: put.results[1]!.commitLogOffset }, "the record of timer 1 is later than the saved 10");
  store.offsets.commit(TIMER_PROGRESS_GROUP, TIMER_TOPIC, 0, 3);
  store.offsets.commit(TIMER_PROGRESS_GROUP, TIMER_LOG_FROM, 0, put.end);
  assert.equal(loadProgress(store), { scanFrom: 3, logFrom: store.maxPhysicalOffset });
});

test.run();
