// Fault table, queue selection and message checks: pure, with a clock moved by hand.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { FaultTable, isolationFor } from "../../src/client/fault-table.js";
import { prepare, sendHeaders } from "../../src/client/producer-message.js";
import { RBB1, RBB2 } from "../../src/client/batcher-wire.js";
import { encodedSize } from "../../src/store/record.js";
import { templateRoute } from "../../src/client/producer-routes.js";
import { javaHash, RoundRobin, selectByKey } from "../../src/client/queue-selector.js";
import type { MessageQueue } from "../../src/client/route-cache.js";
import { batchSize, ErrorCode, RbusError, type RouteData } from "../../src/protocol/index.js";

const queues = (groups: string[], n = 4): MessageQueue[] =>
  groups.flatMap((group) => Array.from({ length: n }, (_, queueId) => ({ topic: "orders", group, queueId })));
const name = (q: MessageQueue) => `${q.group.slice(-1)}${q.queueId}`;

const faults = suite("FaultTable");

faults("a failed group is out for isolationMs, then back", () => {
  let now = 1000;
  const t = new FaultTable({ isolationMs: 30_000, now: () => now });
  assert.ok(t.isAvailable("a"));
  t.failed("a");
  assert.not.ok(t.isAvailable("a"));
  assert.ok(t.isAvailable("b"));
  assert.equal(t.snapshot(), { a: 30_000 });
  now += 29_999;
  assert.not.ok(t.isAvailable("a"));
  now += 1;
  assert.ok(t.isAvailable("a"));
  assert.equal(t.snapshot(), {});
});

faults("a success clears the fault at once", () => {
  const t = new FaultTable({ now: () => 0 });
  t.failed("a");
  t.succeeded("a", 3);
  assert.ok(t.isAvailable("a"));
});

faults("latency isolation follows RocketMQ's steps", () => {
  assert.is(isolationFor(10), 0);
  assert.is(isolationFor(100), 0);
  assert.is(isolationFor(550), 30_000);
  assert.is(isolationFor(2500), 120_000);
  assert.is(isolationFor(20_000), 600_000);
  let now = 0;
  const t = new FaultTable({ latencyIsolation: true, now: () => now });
  t.succeeded("a", 80);
  assert.ok(t.isAvailable("a"));
  t.succeeded("a", 1200);
  assert.not.ok(t.isAvailable("a"));
  now = 60_000;
  assert.ok(t.isAvailable("a"));
  const plain = new FaultTable({ now: () => 0 });
  plain.succeeded("a", 20_000);
  assert.ok(plain.isAvailable("a"), "off by default");
});

faults("leastFaulted: the group that comes back first, or one never faulted", () => {
  let now = 0;
  const t = new FaultTable({ isolationMs: 10_000, now: () => now });
  t.failed("a");
  now = 5000;
  t.failed("b");
  assert.is(t.leastFaulted(["a", "b"]), "a");
  assert.is(t.leastFaulted(["b", "c"]), "c");
});

faults.run();

const rr = suite("RoundRobin");

rr("walks every queue of every group in turn", () => {
  const qs = queues(["broker-a", "broker-b"]);
  const r = new RoundRobin(0);
  const picks = Array.from({ length: 16 }, () => name(qs[r.next(qs)]!));
  assert.equal(picks, ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3", "a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"]);
});

rr("skips groups the fault table keeps out", () => {
  const qs = queues(["broker-a", "broker-b"]);
  const t = new FaultTable({ now: () => 0 });
  t.failed("broker-a");
  const r = new RoundRobin(0);
  const picks = Array.from({ length: 6 }, () => name(qs[r.next(qs, t)]!));
  assert.equal(picks, ["b0", "b1", "b2", "b3", "b0", "b1"]);
});

rr("avoids the group that just failed even if the table has not caught up", () => {
  const qs = queues(["broker-a", "broker-b"]);
  const r = new RoundRobin(0);
  assert.equal([r.next(qs, undefined, "broker-a"), r.next(qs, undefined, "broker-a")].map((i) => name(qs[i]!)), ["b0", "b1"]);
});

rr("when every group is out, still picks one: the least faulted, other than the one that just failed", () => {
  let now = 0;
  const qs = queues(["broker-a", "broker-b", "broker-c"], 2);
  const t = new FaultTable({ isolationMs: 10_000, now: () => now });
  t.failed("broker-b");
  now = 1;
  t.failed("broker-a");
  now = 2;
  t.failed("broker-c");
  const r = new RoundRobin(0);
  assert.is(qs[r.next(qs, t)]!.group, "broker-b");
  assert.is(qs[r.next(qs, t, "broker-b")]!.group, "broker-a");
  const one = queues(["broker-a"]);
  assert.is(one[r.next(one, t, "broker-a")]!.group, "broker-a", "a lone group is retried rather than nothing");
  assert.is(r.next([], t), -1);
});

rr.run();

const sel = suite("selectByKey");

sel("javaHash is Java's String.hashCode", () => {
  assert.is(javaHash(""), 0);
  assert.is(javaHash("hello"), 99162322);
  assert.is(javaHash("polygenelubricants"), -2147483648);
});

sel("the queue is RocketMQ's SelectMessageQueueByHash: |hashCode % n|", () => {
  const qs = queues(["broker-a", "broker-b"]);
  assert.is(selectByKey(qs, { topic: "orders", body: "" }, "hello"), qs[99162322 % 8]);
  assert.is(selectByKey(qs, { topic: "orders", body: "" }, "polygenelubricants"), qs[0], "-2^31 % 8 is 0");
  assert.is(javaHash("order-1"), -1207111310);
  assert.is(selectByKey(qs, { topic: "orders", body: "" }, "order-1"), qs[6], "-1207111310 % 8 is -6");
});

sel("same key, same queue; the arg wins over the message's key; keys spread", () => {
  const qs = queues(["broker-a", "broker-b"]);
  const msg = { topic: "orders", body: "x", keys: ["order-7", "other"] };
  const q = selectByKey(qs, msg, undefined);
  for (let i = 0; i < 5; i++) assert.equal(selectByKey(qs, msg, undefined), q);
  assert.equal(selectByKey(qs, { topic: "orders", body: "y" }, "order-7"), q);
  assert.equal(selectByKey(qs, { topic: "orders", body: "y", keys: "order-7 x" }, undefined), q);
  const used = new Set(Array.from({ length: 100 }, (_, i) => name(selectByKey(qs, msg, `order-${i}`))));
  assert.is(used.size, 8);
});

sel("no key and no arg is a BAD_REQUEST", () => {
  try {
    selectByKey(queues(["broker-a"]), { topic: "orders", body: "x" }, undefined);
    assert.unreachable();
  } catch (e) {
    assert.is((e as RbusError).code, ErrorCode.BAD_REQUEST);
  }
});

sel.run();

const msg = suite("prepare");

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return e instanceof RbusError ? `${e.code}: ${e.message}` : `other: ${(e as Error).message}`;
  }
  return "ok";
};

msg("size is body plus tags, keys and properties; over the limit is MESSAGE_TOO_LARGE with the sizes", () => {
  const m = { topic: "orders", body: "x".repeat(88), tags: "TagA", keys: ["k1", "k2"], properties: { a: "bc" } };
  assert.is(code(() => prepare(m, 100, 0)), "ok");
  assert.is(
    code(() => prepare(m, 99, 0)),
    'MESSAGE_TOO_LARGE: message to "orders" is 100 bytes (body 88 + properties 12); the limit is 99 (maxMessageBytes)',
  );
});

msg("each wire's size of an entry is what it adds to an encoded batch: RBB1's batchSize, RBB2's record size", () => {
  const e = prepare({ topic: "orders", body: "héllo", tags: "T", keys: "k", properties: { p: "v", q: "ü" } }, 1 << 20, 0);
  assert.is(RBB1.size(e), batchSize([e]) - 8);
  assert.is(RBB2.size(e), encodedSize(e));
  assert.is(e.keys, "k");
});

msg("malformed messages are BAD_REQUEST before anything is sent", () => {
  const bad = (m: object) => code(() => prepare({ topic: "orders", body: "x", ...m } as never, 1 << 20, 0)).split(":")[0];
  assert.is(bad({ topic: "a.b" }), "BAD_REQUEST");
  assert.is(bad({ body: 42 }), "BAD_REQUEST");
  assert.is(bad({ properties: { "Rbus-Topic": "x" } }), "BAD_REQUEST");
  assert.is(bad({ properties: { "has space": "x" } }), "BAD_REQUEST");
  assert.is(bad({ properties: { p: "a\r\nb" } }), "BAD_REQUEST");
  assert.is(bad({ tags: "t".repeat(70_000) }), "BAD_REQUEST");
  assert.is(bad({ queueId: -1 }), "BAD_REQUEST");
  assert.is(bad({ queueId: 1.5 }), "BAD_REQUEST");
});

msg("send headers carry the fields and the properties", () => {
  const e = prepare({ topic: "orders", body: "x", tags: "T", keys: ["a", "b"], properties: { color: "red" } }, 1 << 20, 42);
  const h = sendHeaders(e, 3);
  assert.equal(
    [...h.keys()].map((k) => `${k}=${h.get(k)}`),
    ["Rbus-Topic=orders", "Rbus-Queue=3", "Rbus-Born=42", "Rbus-Tags=T", "Rbus-Keys=a b", "color=red"],
  );
});

msg.run();

const tpl = suite("template route");

tpl("a borrowed template route has at most 4 queues per group", () => {
  const route: RouteData = {
    topic: "TBW102",
    nameServer: "ns",
    queues: [{ group: "broker-a", readQueues: 8, writeQueues: 8, perm: "rw" }],
    groups: [],
  };
  const r = templateRoute("fresh", route);
  assert.is(r.topic, "fresh");
  assert.equal(r.queues, [{ group: "broker-a", readQueues: 4, writeQueues: 4, perm: "rw" }]);
});

tpl.run();
