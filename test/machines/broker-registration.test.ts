import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { createActor, fromPromise, SimulatedClock, waitFor } from "xstate";
import { registrationMachine } from "../../machines/broker-registration.js";

/** NameServers that answer a call: a count (ns-1 … ns-n) or their ids. */
type Answer = number | string[] | Error;
const ids = (a: number | string[]) => (typeof a === "number" ? Array.from({ length: a }, (_, i) => `ns-${i + 1}`) : a);

/** A registration machine whose NameServers answer as `answers` says, call by call. */
function start(answers: Answer[]) {
  const clock = new SimulatedClock();
  const calls = { register: 0, unregister: 0 };
  const machine = registrationMachine.provide({
    actors: {
      register: fromPromise(async () => {
        const a = answers[Math.min(calls.register++, answers.length - 1)];
        if (a instanceof Error) throw a;
        return { nameServers: ids(a ?? 0) };
      }),
      unregister: fromPromise(async () => ({ answered: ++calls.unregister })),
    },
  });
  const actor = createActor(machine, { clock, input: { heartbeatIntervalMs: 30_000, retryBaseMs: 1_000 } }).start();
  const settle = (state: "registering" | "registered" | "retrying" | "stopped") => waitFor(actor, (s) => s.matches(state), { timeout: 1000 });
  return { clock, actor, calls, settle };
}

const test = suite("broker registration");

test("registers at start and records how many NameServers answered", async () => {
  const t = start([2]);
  const s = await t.settle("registered");
  assert.is(s.context.answered, 2);
  assert.is(t.calls.register, 1);
});

test("registers again every heartbeat interval", async () => {
  const t = start([2]);
  await t.settle("registered");
  t.clock.increment(29_999);
  assert.is(t.calls.register, 1);
  t.clock.increment(1);
  await t.settle("registered");
  assert.is(t.calls.register, 2);
  t.clock.increment(30_000);
  await t.settle("registered");
  assert.is(t.calls.register, 3);
});

test("no answer is a failure, retried with doubling delays capped at the heartbeat", async () => {
  const t = start([0, new Error("no responders"), 0, 0, 0, 0, 0, 3]);
  const expectedDelays = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
  for (const [i, delay] of expectedDelays.entries()) {
    const s = await t.settle("retrying");
    assert.is(s.context.failures, i + 1);
    t.clock.increment(delay - 1);
    assert.is(t.calls.register, i + 1, `no retry before ${delay} ms`);
    t.clock.increment(1);
  }
  const s = await t.settle("registered");
  assert.is(s.context.answered, 3);
  assert.is(s.context.failures, 0);
});

test("a restored connection registers at once", async () => {
  const t = start([1]);
  await t.settle("registered");
  t.actor.send({ type: "RECONNECTED" });
  await t.settle("registered");
  assert.is(t.calls.register, 2);
});

test("a changed topic table registers at once, also while a registration is in flight", async () => {
  const t = start([1]);
  t.actor.send({ type: "TOPICS_CHANGED" });
  await t.settle("registered");
  assert.is(t.calls.register, 2);
  t.actor.send({ type: "TOPICS_CHANGED" });
  await t.settle("registered");
  assert.is(t.calls.register, 3);
});

test("a topic change registers at once; a hundred more while that is in flight make one more registration", async () => {
  const t = start([1]);
  for (let i = 0; i < 100; i++) t.actor.send({ type: "TOPICS_CHANGED" });
  await t.settle("registered");
  // the first at start, one fresh at the first change, one for the other 99
  assert.is(t.calls.register, 3);
});

test("a connection restored while a registration is in flight registers again", async () => {
  const t = start([1]);
  t.actor.send({ type: "RECONNECTED" });
  await t.settle("registered");
  assert.is(t.calls.register, 2, "the first request may have been lost with the connection");
});

test("a restored connection during backoff registers at once", async () => {
  const t = start([0, 1]);
  await t.settle("retrying");
  t.actor.send({ type: "RECONNECTED" });
  await t.settle("registered");
  assert.is(t.calls.register, 2);
});

test("stop unregisters and ends", async () => {
  const t = start([1]);
  await t.settle("registered");
  t.actor.send({ type: "STOP" });
  await t.settle("stopped");
  assert.is(t.calls.unregister, 1);
  assert.is(t.actor.getSnapshot().status, "done");
  t.clock.increment(60_000);
  assert.is(t.calls.register, 1, "no heartbeat after stop");
});

test("after a reconnect every known NameServer must ack again: one answer is not enough", async () => {
  const t = start([2, ["ns-1"], ["ns-2"]]);
  await t.settle("registered");
  t.actor.send({ type: "RECONNECTED" });
  let s = await t.settle("retrying");
  assert.equal(s.context.pending, ["ns-2"], "ns-2 came back after the broker's registration");
  t.clock.increment(999);
  assert.is(t.calls.register, 2);
  t.clock.increment(1);
  s = await t.settle("registered");
  assert.is(t.calls.register, 3, "retried at the base delay, not at the next heartbeat");
  assert.equal(s.context.pending, []);
  assert.equal(s.context.known, ["ns-1", "ns-2"]);
});

test("the backoff grown during an outage starts over on reconnect", async () => {
  const t = start([1, 0, 0, 0, 0, 0, 0, 1]);
  await t.settle("registered");
  t.clock.increment(30_000); // the heartbeat goes out into the outage
  for (const delay of [1_000, 2_000, 4_000, 8_000]) {
    await t.settle("retrying");
    t.clock.increment(delay);
  }
  let s = await t.settle("retrying");
  assert.is(s.context.failures, 5, "16 s to the next try");
  t.actor.send({ type: "RECONNECTED" });
  s = await t.settle("retrying");
  assert.is(s.context.failures, 1, "the first try after the reconnect failed too (the NameServers were not back)");
  t.clock.increment(1_000);
  s = await t.settle("registered");
  assert.is(t.calls.register, 8);
});

test("a NameServer's hello registers at once and waits for that NameServer's ack", async () => {
  const t = start([["ns-1"], ["ns-1"], ["ns-1", "ns-2"]]);
  await t.settle("registered");
  t.actor.send({ type: "REREGISTER", nameServer: "ns-2" });
  let s = await t.settle("retrying");
  assert.is(t.calls.register, 2);
  assert.equal(s.context.pending, ["ns-2"]);
  t.clock.increment(1_000);
  s = await t.settle("registered");
  assert.equal(s.context.known, ["ns-1", "ns-2"]);
});

test("a known NameServer that never answers again is forgotten once retrying would be as slow as the heartbeat", async () => {
  const t = start([2, ["ns-1"]]);
  await t.settle("registered");
  t.actor.send({ type: "RECONNECTED" });
  for (const delay of [1_000, 2_000, 4_000, 8_000, 16_000]) {
    await t.settle("retrying");
    t.clock.increment(delay);
  }
  const s = await t.settle("registered");
  assert.is(t.calls.register, 7, "retries after 1, 2, 4, 8 and 16 s; the next would wait the heartbeat's 30 s, so it gives up on ns-2");
  assert.equal(s.context.known, ["ns-1"]);
  assert.equal(s.context.pending, []);
});

test.run();
