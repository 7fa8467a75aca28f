// The timer service on a simulated clock, over a real store: every timer
// delivered into its real queue once, at its due time and not before;
// after a crash (no final save of the progress) or with the progress lost
// altogether, the rebuild delivers the rest and doubles nothing.
import * as assert from "uvu/assert";
import { Prop } from "../../src/protocol/system-topics.js";
import { GetStatus, type StoredMessage } from "../../src/store/index.js";
import { TIMER_LOG_FROM, TIMER_PROGRESS_GROUP } from "../../actors/timer-progress.js";
import { TIMER_TOPIC } from "../../src/protocol/system-topics.js";
import { suite } from "../harness/suite.js";
import { timerBench, type TimerBench } from "./timer-ctx.js";

const test = suite("timer service: delivery and rebuild");
/** actors/timer-run.ts loads 16 384 entries per turn of the event loop. */
const LOAD_SLICE_AT_LEAST = 16_384;

function delivered(b: TimerBench, topic = "t"): StoredMessage[] {
  const out: StoredMessage[] = [];
  for (let off = 0; ; ) {
    const got = b.store.get(topic, 0, off, 1000);
    if (got.status !== GetStatus.FOUND) return out;
    for (const m of got.messages) out.push({ ...m, body: Buffer.from(m.body) });
    off = got.nextOffset;
  }
}

/** Schedules `n` timers due at random times over `windowMs`; returns their due times by body. */
async function scheduleMany(b: TimerBench, n: number, windowMs: number, seed = 7): Promise<Map<string, number>> {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const due = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const at = b.clock.now() + Math.floor(rnd() * windowMs);
    await b.ctx.timers.schedule({ topic: "t", queueId: 0, body: Buffer.from(`m${i}`) }, at);
    due.set(`m${i}`, at);
  }
  return due;
}

function checkExactlyOnce(got: StoredMessage[], due: Map<string, number>, upTo: number): void {
  const seen = new Set<string>();
  for (const m of got) {
    const body = m.body.toString();
    assert.not.ok(seen.has(body), `${body} delivered twice`);
    seen.add(body);
    const at = due.get(body)!;
    assert.ok(m.storeTimestamp >= at, `${body} stored at ${m.storeTimestamp}, before its time ${at}`);
    assert.ok(m.properties[Prop.timerQueueOffset] !== undefined, "a delivery carries TIMER_QUEUE_OFFSET");
  }
  for (const [body, at] of due) if (at <= upTo) assert.ok(seen.has(body), `${body} (due ${at}) not delivered by ${upTo}`);
}

test("every timer is delivered once, on time to the simulated ms", async () => {
  const b = await timerBench();
  try {
    await b.clock.advance(300); // the service starts (it polls for the master role)
    assert.ok(b.service.status().running);
    const due = await scheduleMany(b, 500, 10_000);
    assert.is(b.service.status().pending, 500);
    await b.clock.advance(5_000);
    checkExactlyOnce(delivered(b), due, b.clock.now());
    await b.clock.advance(6_000);
    const got = delivered(b);
    assert.is(got.length, 500);
    checkExactlyOnce(got, due, b.clock.now());
    const s = b.service.status();
    assert.is(s.delivered, 500);
    assert.is(s.pending, 0);
    assert.is(s.lateness.max, 0, "on a simulated clock a timer fires at its due time");
    assert.is(b.store.offsets.get(TIMER_PROGRESS_GROUP, TIMER_TOPIC, 0), 500, "progress reaches the queue's end");
  } finally {
    await b.stop();
    b.remove();
  }
});

test("a crash mid-way: the restarted service delivers the rest and doubles none", async () => {
  let b = await timerBench();
  try {
    await b.clock.advance(300);
    const due = await scheduleMany(b, 400, 10_000, 11);
    await b.clock.advance(4_000);
    const before = delivered(b).length;
    assert.ok(before > 50 && before < 350, `some delivered before the crash (${before})`);
    await b.stop(true);
    b = await b.reopen();
    await b.clock.advance(8_000);
    const got = delivered(b);
    assert.is(got.length, 400);
    checkExactlyOnce(got, due, b.clock.now());
  } finally {
    await b.stop();
    b.remove();
  }
});

test("a rebuild of 20 000 pending timers loads them a slice at a time, and delivers each once", async () => {
  let b = await timerBench();
  try {
    await b.clock.advance(300);
    const due = await scheduleMany(b, 20_000, 2_000, 3);
    await b.stop(true);
    b = await b.reopen();
    await b.clock.advance(300);
    assert.is(b.service.status().pending + delivered(b).length, 20_000);
    assert.ok(b.service.status().pending > LOAD_SLICE_AT_LEAST, `more pending (${b.service.status().pending}) than one load slice`);
    await b.clock.advance(2_500);
    const got = delivered(b);
    assert.is(got.length, 20_000);
    checkExactlyOnce(got, due, b.clock.now());
  } finally {
    await b.stop();
    b.remove();
  }
});

test("the progress lost (a replica that never got the offsets table): the log scan alone prevents doubles", async () => {
  let b = await timerBench();
  try {
    await b.clock.advance(300);
    const due = await scheduleMany(b, 300, 6_000, 5);
    await b.clock.advance(3_000);
    await b.stop();
    b = await b.reopen();
    await b.service.stop();
    // forget the progress: start from offset 0 and the log's first byte
    b.store.offsets.commit(TIMER_PROGRESS_GROUP, TIMER_TOPIC, 0, 0);
    b.store.offsets.commit(TIMER_PROGRESS_GROUP, TIMER_LOG_FROM, 0, 0);
    await b.stop();
    b = await b.reopen();
    await b.clock.advance(5_000);
    const got = delivered(b);
    assert.is(got.length, 300);
    checkExactlyOnce(got, due, b.clock.now());
  } finally {
    await b.stop();
    b.remove();
  }
});

test("a time already past is delivered at once; the pending limit is a typed error", async () => {
  const b = await timerBench({ maxPending: 3 });
  try {
    await b.clock.advance(300);
    await b.ctx.timers.schedule({ topic: "t", queueId: 0, body: Buffer.from("past") }, b.clock.now() - 1000);
    await b.clock.advance(1);
    assert.equal(delivered(b).map((m) => m.body.toString()), ["past"]);
    for (let i = 0; i < 3; i++) await b.ctx.timers.schedule({ topic: "t", queueId: 0, body: Buffer.from(`f${i}`) }, b.clock.now() + 60_000);
    try {
      await b.ctx.timers.schedule({ topic: "t", queueId: 0, body: Buffer.from("one too many") }, b.clock.now() + 60_000);
      assert.unreachable("the fourth pending timer is refused");
    } catch (err) {
      assert.is((err as { code?: string }).code, "LIMIT_EXCEEDED");
    }
    try {
      await b.ctx.timers.schedule({ topic: "t", queueId: 0, body: Buffer.from("far") }, b.clock.now() + 4 * 86_400_000);
      assert.unreachable("past the horizon");
    } catch (err) {
      assert.is((err as { code?: string }).code, "BAD_REQUEST");
    }
  } finally {
    await b.stop();
    b.remove();
  }
});

test.run();
