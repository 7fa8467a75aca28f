import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { createActor, fromPromise, SimulatedClock, waitFor } from "xstate";
import {
  allocateAll,
  allocateAveragely,
  allocateByCircle,
  queueRefKey,
  type AllocateStrategy,
  type QueueRef,
} from "../../machines/allocate.js";
import { rebalanceMachine, type AcquireParams, type RefreshResult } from "../../machines/rebalance.js";

const queues = (topic: string, groups: string[], perGroup: number): QueueRef[] =>
  groups.flatMap((group) => Array.from({ length: perGroup }, (_, queueId) => ({ topic, group, queueId })));
const names = (qs: readonly QueueRef[]) => qs.map((q) => `${q.group}:${q.queueId}`);
const members = (n: number) => Array.from({ length: n }, (_, i) => `c${String(i).padStart(2, "0")}`);

// ---------------------------------------------------------------- allocation

const alloc = suite("allocate");

for (const [name, strategy] of [["averagely", allocateAveragely], ["circle", allocateByCircle]] as Array<[string, AllocateStrategy]>) {
  alloc(`${name}: every queue has exactly one owner, shares differ by at most one`, () => {
    for (let m = 1; m <= 12; m++) {
      for (let q = 0; q <= 40; q++) {
        const ms = members(m);
        const qs = Array.from({ length: q }, (_, i) => i);
        const shares = allocateAll(strategy, ms, qs);
        const owned = [...shares.values()].flat().sort((a, b) => a - b);
        assert.equal(owned, qs, `${m} members, ${q} queues`);
        const sizes = [...shares.values()].map((s) => s.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${m} members, ${q} queues: ${sizes}`);
      }
    }
  });
  alloc(`${name}: a client that is not a member owns nothing`, () => {
    assert.equal(strategy("zz", members(3), [0, 1, 2, 3]), []);
  });
}

alloc("averagely gives consecutive ranges, the first members one more (RocketMQ's example)", () => {
  const qs = queues("t", ["a", "b"], 4);
  const shares = allocateAll(allocateAveragely, ["c1", "c2", "c3"], qs);
  assert.equal(names(shares.get("c1")!), ["a:0", "a:1", "a:2"]);
  assert.equal(names(shares.get("c2")!), ["a:3", "b:0", "b:1"]);
  assert.equal(names(shares.get("c3")!), ["b:2", "b:3"]);
  assert.equal(allocateAveragely("c4", ["c1", "c2", "c3", "c4", "c5"], [0, 1, 2]), []);
});

alloc("by circle deals queues round the members", () => {
  assert.equal(allocateByCircle("c2", ["c1", "c2", "c3"], [0, 1, 2, 3, 4, 5, 6, 7]), [1, 4, 7]);
});

alloc.run();

// ---------------------------------------------------------------- machine

interface Options {
  clientId?: string;
  mode?: "clustering" | "broadcasting";
  refresh?: Array<RefreshResult | Error>;
  /** When set, each release waits for the test to call the returned resolver. */
  holdRelease?: boolean;
}

function start(opts: Options = {}) {
  const clock = new SimulatedClock();
  const effects: string[] = [];
  const acquired: AcquireParams[] = [];
  const calls = { refresh: 0, heartbeat: 0, release: 0, leave: 0 };
  const pending: Array<() => void> = [];
  const answers = opts.refresh ?? [{ members: ["c1"], topics: { t: queues("t", ["a", "b"], 4) } }];
  const machine = rebalanceMachine.provide({
    actors: {
      refresh: fromPromise(async () => {
        const a = answers[Math.min(calls.refresh++, answers.length - 1)]!;
        if (a instanceof Error) throw a;
        return a;
      }),
      release: fromPromise<void, { queues: QueueRef[] }>(async ({ input }) => {
        calls.release++;
        effects.push(`release ${names(input.queues).join(",")}`);
        if (opts.holdRelease) await new Promise<void>((r) => pending.push(r));
        effects.push(`released ${names(input.queues).join(",")}`);
      }),
      leave: fromPromise(async () => {
        calls.leave++;
        effects.push("leave");
      }),
    },
    actions: {
      heartbeat: () => void calls.heartbeat++,
      acquire: (_, params: AcquireParams) => {
        acquired.push(params);
        effects.push(`acquire ${names(params.queues).join(",")}${params.handover.length ? ` handover ${names(params.handover).join(",")}` : ""}`);
      },
    },
  });
  const actor = createActor(machine, {
    clock,
    input: { clientId: opts.clientId ?? "c1", mode: opts.mode ?? "clustering", refreshMs: 20_000, heartbeatMs: 10_000, retryMs: 1_000 },
  }).start();
  const balanced = () =>
    waitFor(actor, (s) => s.matches({ running: { balance: "balanced" } }), { timeout: 1000 });
  const owned = () => names(actor.getSnapshot().context.owned);
  const releaseOne = async () => {
    await waitFor(actor, () => pending.length > 0, { timeout: 1000 }).catch(() => undefined);
    for (let i = 0; i < 50 && pending.length === 0; i++) await Promise.resolve();
    pending.shift()?.();
  };
  return { clock, actor, effects, acquired, calls, balanced, owned, pending, releaseOne };
}

/** Lets promise-based effects settle. */
const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

const m = suite("rebalance machine");

m("joins with a refresh and acquires its share", async () => {
  const t = start({ refresh: [{ members: ["c1", "c2"], topics: { t: queues("t", ["a", "b"], 4) } }] });
  await t.balanced();
  await flush();
  assert.is(t.calls.refresh, 1);
  assert.equal(t.owned(), ["a:0", "a:1", "a:2", "a:3"]);
  // The first join has no one to release to; c2 held nothing of c1's share before (c1 is new).
  assert.equal(t.effects, ["release ", "released ", "acquire a:0,a:1,a:2,a:3 handover a:0,a:1,a:2,a:3"]);
});

m("a new member joining takes queues from a live member: marked as handover", async () => {
  // c2 joins a group where c1 owned everything: all of c2's queues were c1's.
  const t = start({ clientId: "c2", refresh: [{ members: ["c1", "c2"], topics: { t: queues("t", ["a", "b"], 4) } }] });
  await t.balanced();
  await flush();
  assert.equal(t.acquired[0]?.handover.map(queueRefKey), ["t/b/0", "t/b/1", "t/b/2", "t/b/3"]);
});

m("the only member owns everything, with no handover", async () => {
  const t = start();
  await t.balanced();
  await flush();
  assert.equal(t.owned().length, 8);
  assert.equal(t.acquired.at(-1)?.handover, []);
});

m("a member joining: release (with its commit) completes before anything else is acquired", async () => {
  const t = start({ holdRelease: true });
  await t.releaseOne();
  await t.balanced();
  await flush();
  assert.equal(t.owned().length, 8);
  t.effects.length = 0;
  t.actor.send({ type: "MEMBERS_CHANGED", members: ["c2", "c1"] });
  assert.ok(t.actor.getSnapshot().matches({ running: { balance: "rebalancing" } }));
  await flush();
  assert.equal(t.effects, ["release b:0,b:1,b:2,b:3"], "nothing else happens while the release is pending");
  assert.equal(t.owned().length, 8, "a queue is owned until its release is done");
  await t.releaseOne();
  await t.balanced();
  assert.equal(t.effects, ["release b:0,b:1,b:2,b:3", "released b:0,b:1,b:2,b:3", "acquire "]);
  assert.equal(t.owned(), ["a:0", "a:1", "a:2", "a:3"]);
});

m("a member leaving: its queues are acquired, no handover (it is gone)", async () => {
  const t = start({ refresh: [{ members: ["c1", "c2"], topics: { t: queues("t", ["a", "b"], 4) } }] });
  await t.balanced();
  await flush();
  t.actor.send({ type: "MEMBERS_CHANGED", members: ["c1"] });
  await t.balanced();
  await flush();
  assert.equal(t.owned().length, 8);
  assert.equal(t.acquired.at(-1)?.queues.map(queueRefKey), ["t/b/0", "t/b/1", "t/b/2", "t/b/3"]);
  assert.equal(t.acquired.at(-1)?.handover, []);
});

m("same members again: no rebalance", async () => {
  const t = start();
  await t.balanced();
  await flush();
  const before = t.effects.length;
  t.actor.send({ type: "MEMBERS_CHANGED", members: ["c1"] });
  await flush();
  assert.is(t.effects.length, before);
});

m("membership that changes during a release is applied once the release is done", async () => {
  const t = start({ holdRelease: true, refresh: [{ members: ["c1"], topics: { t: queues("t", ["a", "b"], 4) } }] });
  await t.releaseOne();
  await t.balanced();
  t.actor.send({ type: "MEMBERS_CHANGED", members: ["c1", "c2"] });
  await flush();
  t.actor.send({ type: "MEMBERS_CHANGED", members: ["c1", "c2", "c3"] });
  await t.releaseOne(); // releases b:*, planned for 2 members
  await flush();
  assert.ok(t.actor.getSnapshot().matches({ running: { balance: "rebalancing" } }), "a second round for 3 members");
  assert.equal(t.effects.at(-1), "release a:3");
  await t.releaseOne();
  await t.balanced();
  assert.equal(t.owned(), ["a:0", "a:1", "a:2"]);
});

m("a route change adds queues", async () => {
  const t = start();
  await t.balanced();
  t.actor.send({ type: "ROUTE_CHANGED", topic: "t", queues: queues("t", ["a", "b", "c"], 4) });
  await t.balanced();
  await flush();
  assert.equal(t.owned().length, 12);
  assert.equal(names(t.acquired.at(-1)!.queues), ["c:0", "c:1", "c:2", "c:3"]);
});

m("heartbeats every heartbeat interval, in every state", async () => {
  const t = start({ refresh: [new Error("no route")] });
  await waitFor(t.actor, (s) => s.matches({ running: { balance: "retrying" } }));
  t.clock.increment(9_999);
  assert.is(t.calls.heartbeat, 0);
  t.clock.increment(1);
  assert.is(t.calls.heartbeat, 1);
  t.clock.increment(10_000);
  assert.is(t.calls.heartbeat, 2);
});

m("refreshes every 20 s; what it learns rebalances", async () => {
  const t = start({
    refresh: [
      { members: ["c1"], topics: { t: queues("t", ["a", "b"], 4) } },
      { members: ["c1"] },
      { members: ["c0", "c1"] },
    ],
  });
  await t.balanced();
  await flush();
  t.clock.increment(19_999);
  assert.is(t.calls.refresh, 1);
  t.clock.increment(1);
  await t.balanced();
  await flush();
  assert.is(t.calls.refresh, 2);
  assert.equal(t.owned().length, 8, "a refresh without changes keeps everything");
  t.clock.increment(20_000);
  await flush();
  await t.balanced();
  await flush();
  assert.is(t.calls.refresh, 3);
  assert.equal(t.owned(), ["b:0", "b:1", "b:2", "b:3"]);
});

m("a failed refresh while balanced keeps the queues", async () => {
  const t = start({ refresh: [{ members: ["c1"], topics: { t: queues("t", ["a"], 2) } }, new Error("timeout")] });
  await t.balanced();
  t.clock.increment(20_000);
  await flush();
  await t.balanced();
  assert.equal(t.owned(), ["a:0", "a:1"]);
});

m("a failed join is retried after the retry delay", async () => {
  const t = start({ refresh: [new Error("no route"), { members: ["c1"], topics: { t: queues("t", ["a"], 2) } }] });
  await waitFor(t.actor, (s) => s.matches({ running: { balance: "retrying" } }));
  t.clock.increment(999);
  assert.is(t.calls.refresh, 1);
  t.clock.increment(1);
  await t.balanced();
  assert.is(t.calls.refresh, 2);
  assert.equal(t.owned(), ["a:0", "a:1"]);
});

m("a member missing from the list releases everything", async () => {
  const t = start();
  await t.balanced();
  t.actor.send({ type: "MEMBERS_CHANGED", members: ["c7", "c8"] });
  await flush();
  await t.balanced();
  assert.equal(t.owned(), []);
});

m("broadcasting owns every queue whatever the members", async () => {
  const t = start({ mode: "broadcasting", refresh: [{ members: ["c1", "c2", "c3"], topics: { t: queues("t", ["a", "b"], 4) } }] });
  await t.balanced();
  await flush();
  assert.equal(t.owned().length, 8);
  assert.equal(t.acquired[0]?.handover, []);
  t.actor.send({ type: "MEMBERS_CHANGED", members: ["c0", "c1", "c2", "c3", "c4"] });
  await flush();
  assert.equal(t.owned().length, 8);
});

m("PROBE heartbeats at once", async () => {
  const t = start();
  t.actor.send({ type: "PROBE" });
  assert.is(t.calls.heartbeat, 1);
});

m("stop releases every owned queue, then leaves, then stops for good", async () => {
  const t = start();
  await t.balanced();
  await flush();
  t.effects.length = 0;
  t.actor.send({ type: "STOP" });
  await waitFor(t.actor, (s) => s.status === "done", { timeout: 1000 });
  assert.equal(t.effects, ["release a:0,a:1,a:2,a:3,b:0,b:1,b:2,b:3", "released a:0,a:1,a:2,a:3,b:0,b:1,b:2,b:3", "leave"]);
  assert.equal(t.owned(), []);
  t.clock.increment(60_000);
  assert.is(t.calls.heartbeat, 0, "no heartbeat after stop");
});

m("stop while joining still leaves", async () => {
  const t = start({ refresh: [new Error("down")] });
  t.actor.send({ type: "STOP" });
  await waitFor(t.actor, (s) => s.status === "done", { timeout: 1000 });
  assert.is(t.calls.leave, 1);
});

m.run();
