import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { SimClock } from "./sim-clock.js";

const order = suite("SimClock: timers fire in time order");

order("by due time, then by the order they were set", async () => {
  const clock = new SimClock();
  const fired: string[] = [];
  clock.set(() => fired.push("b@20"), 20);
  clock.set(() => fired.push("a@10"), 10);
  clock.set(() => fired.push("c@20"), 20);
  clock.set(() => fired.push("d@0"), 0);
  await clock.advance(15);
  assert.equal(fired, ["d@0", "a@10"]);
  assert.is(clock.elapsed, 15);
  await clock.advance(5);
  assert.equal(fired, ["d@0", "a@10", "b@20", "c@20"]);
});

order("now() inside a timer is its due time; a timer set from a timer fires in the same advance", async () => {
  const clock = new SimClock();
  const seen: number[] = [];
  clock.set(() => {
    seen.push(clock.elapsed);
    clock.set(() => seen.push(clock.elapsed), 7);
  }, 3);
  await clock.advance(100);
  assert.equal(seen, [3, 10]);
  assert.is(clock.elapsed, 100);
});

order("a cleared timer never fires", async () => {
  const clock = new SimClock();
  let fired = false;
  const h = clock.set(() => (fired = true), 5);
  clock.clear(h);
  clock.clear(undefined);
  await clock.advance(10);
  assert.is(fired, false);
  assert.is(clock.pending, 0);
});
order.run();

const settling = suite("SimClock: promises and file I/O settle between timers");

settling("a promise chain started by one timer is finished before the next fires", async () => {
  const clock = new SimClock();
  const log: string[] = [];
  clock.set(() => {
    void (async () => {
      for (let i = 0; i < 50; i++) await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      log.push("chain done");
    })();
  }, 1);
  clock.set(() => log.push("second timer"), 1);
  await clock.advance(1);
  assert.equal(log, ["chain done", "second timer"]);
});

settling("real file writes and fsyncs complete before simulated time moves on", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rbus-simclock-"));
  try {
    const clock = new SimClock();
    const log: string[] = [];
    clock.set(() => {
      void (async () => {
        for (let i = 0; i < 5; i++) {
          const f = path.join(dir, `f${i}`);
          await fs.promises.writeFile(f, Buffer.alloc(64 * 1024, i));
          const h = await fs.promises.open(f, "r+");
          await h.datasync();
          await h.close();
        }
        log.push(`written at ${clock.elapsed}`);
      })();
    }, 1);
    clock.set(() => log.push(`next timer at ${clock.elapsed}`), 2);
    await clock.advance(2);
    assert.equal(log, ["written at 1", "next timer at 2"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

settling("settle() advances until the promise resolves and returns its value", async () => {
  const clock = new SimClock();
  const p = new Promise<string>((resolve) => clock.set(() => resolve("late"), 250));
  assert.is(await clock.settle(p, 1000), "late");
  assert.is(clock.elapsed, 250);
});

settling("settle() throws when the promise is still pending at the limit", async () => {
  const clock = new SimClock();
  const p = new Promise<void>((resolve) => clock.set(resolve, 500));
  try {
    await clock.settle(p, 100);
    assert.unreachable("should have thrown");
  } catch (err) {
    assert.match(String(err), /still pending after 100/);
  }
  assert.is(clock.elapsed, 100);
});

settling("runUntil stops at the moment the condition holds", async () => {
  const clock = new SimClock();
  let n = 0;
  const tick = () => {
    n++;
    clock.set(tick, 10);
  };
  clock.set(tick, 10);
  assert.ok(await clock.runUntil(() => n >= 3, 1000));
  assert.is(clock.elapsed, 30);
  assert.not.ok(await clock.runUntil(() => n >= 100, 50));
  assert.is(clock.elapsed, 80);
});
settling.run();

const scopes = suite("SimClock: scopes and failures");

scopes("killing a scope clears its timers only and refuses new ones", async () => {
  const clock = new SimClock();
  const a = clock.scope();
  const b = clock.scope();
  const fired: string[] = [];
  a.set(() => fired.push("a"), 5);
  b.set(() => fired.push("b"), 5);
  a.kill();
  a.set(() => fired.push("a after kill"), 1);
  await clock.advance(10);
  assert.equal(fired, ["b"]);
  assert.is(a.alive, false);
  assert.is(b.alive, true);
});

scopes("an error thrown by a timer fails the advance; step hooks run after each timer", async () => {
  const clock = new SimClock();
  const steps: number[] = [];
  clock.onStep(() => steps.push(clock.elapsed));
  clock.set(() => undefined, 4);
  clock.set(() => {
    throw new Error("boom");
  }, 6);
  try {
    await clock.advance(10);
    assert.unreachable("should have thrown");
  } catch (err) {
    assert.match(String(err), /boom/);
  }
  assert.equal(steps, [0, 4]);
});

scopes("advance() may not be called while another runs", async () => {
  const clock = new SimClock();
  const first = clock.advance(10);
  try {
    await clock.advance(1);
    assert.unreachable("should have thrown");
  } catch (err) {
    assert.match(String(err), /another advance/);
  }
  await first;
});
scopes.run();
