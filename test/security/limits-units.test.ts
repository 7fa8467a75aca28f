// The pieces behind the limits, alone: the reply pacer (cap, order, the
// confirmation that resets it), the consumer table (caps, coalesced
// events, a heartbeat that does not copy its group) and the limit settings.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { ConsumerTable, EVENT_BURST, EVENT_INTERVAL_MS } from "../../actors/consumer-table.js";
import { DEFAULT_LIMITS, resolveLimits } from "../../actors/limits.js";
import { ReplyPacer } from "../../actors/reply-pacer.js";
import { RbusError } from "../../src/protocol/index.js";
import { SimClock } from "../replication/sim-clock.js";

const pacer = suite("reply pacer");

pacer("past the cap replies wait, in order, for the bus to confirm; then they go on", async () => {
  let confirm!: () => void;
  let flushes = 0;
  const p = new ReplyPacer(100, () => new Promise<void>((r) => ((confirm = r), flushes++)));
  assert.ok(p.idle());
  p.spend(60);
  assert.ok(p.idle(), "under the cap");
  p.spend(60);
  assert.not.ok(p.idle(), "past the cap");
  assert.is(flushes, 1);
  const order: number[] = [];
  const done = [1, 2, 3].map((i) => p.later(() => (order.push(i), p.spend(40), i)));
  assert.is(p.queued(), 3);
  await Promise.resolve();
  assert.equal(order, [], "nothing built before the confirmation");
  confirm();
  assert.equal(await Promise.all(done), [1, 2, 3]);
  assert.equal(order, [1, 2, 3]);
  assert.is(p.bytesInFlight(), 120);
  assert.is(flushes, 2, "the third reply passed the cap again");
});

pacer("a task that throws rejects its own promise only", async () => {
  const p = new ReplyPacer(10, async () => undefined);
  p.spend(10);
  const bad = p.later(() => {
    throw new Error("boom");
  });
  const good = p.later(() => "ok");
  assert.is(await bad.then(() => "resolved", (e: Error) => e.message), "boom");
  assert.is(await good, "ok");
});

const table = suite("consumer table");
const limits = { maxConsumerGroups: 2, maxGroupMembers: 3, maxMembers: 5 };
const hb = (group: string, clientId: string) => ({ clientId, group, mode: "clustering" as const, topics: [], ttlMs: 1000 });

table("caps refuse new members with LIMIT_EXCEEDED and leave the table as it was", () => {
  const clock = new SimClock();
  const t = new ConsumerTable(() => undefined, limits, clock);
  for (const id of ["c", "a", "b"]) t.heartbeat(hb("g1", id), clock.now());
  assert.equal(t.members("g1"), ["a", "b", "c"]);
  const err = (() => {
    try {
      t.heartbeat(hb("g1", "d"), clock.now());
    } catch (e) {
      return e as RbusError;
    }
  })();
  assert.is(err?.code, "LIMIT_EXCEEDED");
  assert.equal(err?.details, { limit: "maxGroupMembers", max: 3, group: "g1" });
  assert.equal(t.members("g1"), ["a", "b", "c"]);
  t.heartbeat(hb("g2", "x"), clock.now());
  assert.throws(() => t.heartbeat(hb("g3", "y"), clock.now()), (e: RbusError) => e.details?.limit === "maxConsumerGroups");
  t.heartbeat(hb("g2", "z"), clock.now());
  assert.throws(() => t.heartbeat(hb("g2", "w"), clock.now()), (e: RbusError) => e.details?.limit === "maxMembers");
  assert.equal([t.size(), t.groupCount(), t.largestGroup()], [5, 2, 3]);
});

table("a member's own heartbeat returns the shared list; events past the burst are coalesced", async () => {
  const clock = new SimClock();
  const events: string[][] = [];
  const t = new ConsumerTable((_, members) => events.push(members), { ...DEFAULT_LIMITS }, clock);
  const first = t.heartbeat(hb("g", "m0"), clock.now());
  assert.is(t.heartbeat(hb("g", "m0"), clock.now()), first, "no copy for a heartbeat that changes nothing");
  const encoded = t.heartbeatReply(hb("g", "m0"), clock.now());
  assert.is(t.heartbeatReply(hb("g", "m0"), clock.now()), encoded, "nor an encoding");
  assert.equal(JSON.parse(Buffer.from(encoded).toString()), { group: "g", members: ["m0"] });
  for (let i = 1; i < 50; i++) t.heartbeat(hb("g", `m${String(i).padStart(2, "0")}`), clock.now());
  assert.is(events.length, EVENT_BURST);
  await clock.advance(EVENT_INTERVAL_MS);
  assert.is(events.length, EVENT_BURST + 1);
  assert.is(events.at(-1)!.length, 50, "the coalesced event carries the latest list");
  await clock.advance(1000);
  t.expire(clock.now());
  await clock.advance(EVENT_INTERVAL_MS);
  assert.equal(events.at(-1), []);
  assert.is(t.groupCount(), 0);
});

const settings = suite("limit settings");

settings("defaults, overrides, and refusal of nonsense", () => {
  assert.is(resolveLimits().maxQueuesPerTopic, 256);
  assert.is(resolveLimits({ maxTopics: 7 }).maxTopics, 7);
  assert.throws(() => resolveLimits({ maxHeldPulls: 0 }), /positive integer/);
  assert.throws(() => resolveLimits({ maxHeldPulls: 1.5 }), /positive integer/);
});


pacer.run();
table.run();
settings.run();
