// The batcher with a scripted transport and timers moved by hand: no NATS.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Batcher, type Batch, type BatchLimits, type Lane, type Timers } from "../../src/client/batcher.js";
import { RBB1 } from "../../src/client/batcher-wire.js";
import { prepare } from "../../src/client/producer-message.js";
import { decodeBatch, ErrorCode, RbusError, type BatchSendResult, type SendResult } from "../../src/protocol/index.js";

/** Timers that fire only when the test advances the clock. */
class ManualTimers implements Timers {
  now = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms: number): unknown {
    this.due.set(++this.seq, { at: this.now + ms, fn });
    return this.seq;
  }
  clear(h: unknown): void {
    this.due.delete(h as number);
  }
  get pending(): number {
    return this.due.size;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.due].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > this.now) continue;
      this.due.delete(id);
      t.fn();
    }
  }
}

/** A transport whose replies the test gives, batch by batch; offsets count per queue like a broker. */
class ScriptedBroker {
  readonly sent: Batch[] = [];
  private readonly answers: Array<{ resolve: (r: BatchSendResult) => void; reject: (e: unknown) => void }> = [];
  private readonly offsets = new Map<number, number>();
  readonly transport = (b: Batch) => {
    this.sent.push(b);
    return new Promise<BatchSendResult>((resolve, reject) => this.answers.push({ resolve, reject }));
  };
  /** Answers batch `i` as a broker would: next offset of each message's queue. */
  ok(i: number): void {
    const b = this.sent[i]!;
    const reply = result(b.lane.topic, []);
    for (const e of messagesOf(b)) {
      const off = this.offsets.get(e.queueId) ?? 0;
      this.offsets.set(e.queueId, off + 1);
      reply.queueIds.push(e.queueId);
      reply.queueOffsets.push(off);
      reply.commitLogOffsets.push(1000 * i + reply.queueIds.length - 1);
    }
    this.answers[i]!.resolve(reply);
  }
  fail(i: number, err: unknown): void {
    this.answers[i]!.reject(err);
  }
  reply(i: number, r: BatchSendResult): void {
    this.answers[i]!.resolve(r);
  }
}

/** What a batch's payload holds (the RBB1 wire, the batcher's default). */
const messagesOf = (b: Batch) => decodeBatch(b.payload());
const bodiesOf = (b: Batch) => messagesOf(b).map((e) => Buffer.from(e.body).toString());

/** A broker's reply from [queueId, queueOffset, commitLogOffset] rows. */
function result(topic: string, rows: Array<[number, number, number]>): BatchSendResult {
  return {
    status: "SEND_OK",
    topic,
    group: "broker-a",
    queueIds: rows.map((r) => r[0]),
    queueOffsets: rows.map((r) => r[1]),
    commitLogOffsets: rows.map((r) => r[2]),
  };
}

const limits = (o: Partial<BatchLimits> = {}): BatchLimits => ({
  lingerMs: 5,
  maxMessages: 3,
  maxBytes: 1 << 20,
  maxInFlight: 8,
  maxQueuedMessages: 1000,
  ...o,
});
const lane = (group = "broker-a"): Lane => ({ topic: "orders", group, pinned: false, open: undefined, sizeHint: 0 });
const entry = (body: string, queueId = 0) => ({ ...prepare({ topic: "orders", body }, 1 << 20, 1), queueId });
const settled = () => new Promise((r) => setImmediate(r));

interface Ctx {
  timers: ManualTimers;
  broker: ScriptedBroker;
}
const test = suite<Ctx>("Batcher");
test.before.each((ctx) => {
  ctx.timers = new ManualTimers();
  ctx.broker = new ScriptedBroker();
});

test("a full batch goes at once; the rest waits for the linger", ({ timers, broker }) => {
  const b = new Batcher(limits(), broker.transport, timers);
  const l = lane();
  for (let i = 0; i < 7; i++) void b.add(l, entry(`m${i}`));
  assert.equal(broker.sent.map((x) => x.count), [3, 3]);
  timers.advance(4);
  assert.is(broker.sent.length, 2, "not before lingerMs");
  timers.advance(1);
  assert.equal(broker.sent.map((x) => x.count), [3, 3, 1]);
  assert.is(timers.pending, 0, "a batch closed by count leaves no timer behind");
});

test("with nothing in flight a batch goes at the next turn; with batches in flight it lingers", ({ timers, broker }) => {
  const b = new Batcher(limits({ maxMessages: 100 }), broker.transport, timers);
  const l = lane();
  void b.add(l, entry("a"));
  void b.add(l, entry("b"));
  assert.is(broker.sent.length, 0, "the synchronous burst is still being added");
  timers.advance(0);
  assert.equal(broker.sent.map((x) => x.count), [2], "no linger while idle");
  void b.add(l, entry("c"));
  timers.advance(0);
  assert.is(broker.sent.length, 1, "a reply is awaited: this batch lingers");
  timers.advance(5);
  assert.equal(broker.sent.map((x) => x.count), [2, 1]);
});

test("a lingering batch goes as soon as the last reply comes in", async ({ timers, broker }) => {
  const b = new Batcher(limits({ maxMessages: 100, lingerMs: 1000 }), broker.transport, timers);
  const l = lane();
  void b.add(l, entry("a"));
  timers.advance(0);
  void b.add(l, entry("b"));
  timers.advance(0);
  assert.is(broker.sent.length, 1, "lingering behind the batch in flight");
  broker.reply(0, result("orders", [[0, 0, 0]]));
  await settled();
  assert.equal(broker.sent.map((x) => x.count), [1, 1], "sent without waiting out the linger");
});

test("maxBytes closes a batch; a message larger than maxBytes goes alone", ({ timers, broker }) => {
  const one = RBB1.size(entry("x".repeat(100)));
  const b = new Batcher(limits({ maxMessages: 100, maxBytes: 8 + 2 * one }), broker.transport, timers);
  const l = lane();
  for (let i = 0; i < 5; i++) void b.add(l, entry("x".repeat(100)));
  assert.equal(broker.sent.map((x) => x.count), [2, 2]);
  void b.add(l, entry("y".repeat(1000)));
  assert.equal(broker.sent.map((x) => x.count), [2, 2, 1, 1], "the open batch is closed first, the big one goes alone");
  assert.is(messagesOf(broker.sent[3]!)[0]!.body.byteLength, 1000);
});

test("lanes batch separately", ({ timers, broker }) => {
  const b = new Batcher(limits(), broker.transport, timers);
  const a = lane("broker-a");
  const c = lane("broker-b");
  for (let i = 0; i < 3; i++) {
    void b.add(a, entry(`a${i}`));
    void b.add(c, entry(`b${i}`));
  }
  assert.equal(broker.sent.map((x) => x.lane.group), ["broker-a", "broker-b"]);
});

test("results come back in order with each message's queue offset", async ({ timers, broker }) => {
  const b = new Batcher(limits({ maxMessages: 4 }), broker.transport, timers);
  const l = lane();
  const ps = [0, 1, 0, 1, 0, 1, 0, 1].map((q, i) => b.add(l, entry(`m${i}`, q)));
  broker.ok(1);
  broker.ok(0);
  const rs: SendResult[] = await Promise.all(ps);
  assert.equal(
    rs.map((r) => `${r.queueId}@${r.queueOffset}`),
    ["0@2", "1@2", "0@3", "1@3", "0@0", "1@0", "0@1", "1@1"],
    "batch 1 was answered first, so it got the lower offsets",
  );
  assert.is(rs[5]!.msgId, "broker-a:00000000000003e9", "the id names the group and the commit-log offset (batch 1, message 1)");
  assert.is(rs[0]!.topic, "orders");
});

test("a failed batch rejects every one of its messages, and only those", async ({ timers, broker }) => {
  const b = new Batcher(limits(), broker.transport, timers);
  const l = lane();
  const ps = Array.from({ length: 6 }, (_, i) => b.add(l, entry(`m${i}`)).then(() => "ok", (e: RbusError) => e.code));
  broker.fail(0, new RbusError(ErrorCode.BROKER_BUSY, "busy"));
  broker.ok(1);
  assert.equal(await Promise.all(ps), ["BROKER_BUSY", "BROKER_BUSY", "BROKER_BUSY", "ok", "ok", "ok"]);
});

test("a transport that throws synchronously fails the batch, not the caller", async ({ timers }) => {
  const b = new Batcher(limits(), () => {
    throw new Error("boom");
  }, timers);
  const p = b.add(lane(), entry("x"));
  timers.advance(5);
  await p.then(
    () => assert.unreachable(),
    (e: Error) => assert.is(e.message, "boom"),
  );
});

test("a reply with the wrong number of results fails the batch", async ({ timers, broker }) => {
  const b = new Batcher(limits(), broker.transport, timers);
  const l = lane();
  const ps = [1, 2, 3].map((i) => b.add(l, entry(`m${i}`)).catch((e: RbusError) => e.code));
  broker.reply(0, result("orders", [[0, 0, 0]]));
  assert.equal(await Promise.all(ps), ["INTERNAL", "INTERNAL", "INTERNAL"]);
});

test("at most maxInFlight batches outstanding; the next goes when one is answered", async ({ timers, broker }) => {
  const b = new Batcher(limits({ maxInFlight: 2 }), broker.transport, timers);
  const l = lane();
  for (let i = 0; i < 12; i++) void b.add(l, entry(`m${i}`));
  assert.is(broker.sent.length, 2);
  assert.equal(b.stats(), { open: 0, ready: 2, inFlight: 2, queued: 12 });
  broker.ok(1);
  await settled();
  assert.is(broker.sent.length, 3);
  broker.ok(0);
  broker.ok(2);
  await settled();
  assert.is(broker.sent.length, 4);
  assert.equal(b.stats(), { open: 0, ready: 0, inFlight: 1, queued: 3 });
});

test("backpressure: writable turns false at maxQueuedMessages; waitWritable resolves when answers free room", async ({ timers, broker }) => {
  const b = new Batcher(limits({ maxInFlight: 1, maxQueuedMessages: 6 }), broker.transport, timers);
  const l = lane();
  for (let i = 0; i < 5; i++) void b.add(l, entry(`m${i}`));
  assert.ok(b.writable);
  void b.add(l, entry("m5"));
  assert.not.ok(b.writable);
  let woke = false;
  const w1 = b.waitWritable().then(() => (woke = true));
  assert.is(b.waitWritable(), b.waitWritable(), "waiters share one promise");
  await settled();
  assert.not.ok(woke);
  broker.ok(0);
  await w1;
  assert.ok(b.writable);
  assert.is(b.stats().queued, 3);
});

test("reserved messages count against writable until added or given back", async ({ timers, broker }) => {
  const b = new Batcher(limits({ maxQueuedMessages: 2 }), broker.transport, timers);
  b.reserve();
  b.reserve();
  assert.not.ok(b.writable);
  const w = b.waitWritable();
  b.unreserve();
  await w;
  const p = b.add(lane(), entry("x"), true);
  assert.is(b.stats().queued, 1, "adding a reserved message does not count it twice");
  timers.advance(5);
  broker.ok(0);
  await p;
  assert.is(b.stats().queued, 0);
});

test("flush sends the open batches and resolves when every batch is answered", async ({ timers, broker }) => {
  const b = new Batcher(limits({ lingerMs: 60_000 }), broker.transport, timers);
  const ps = [b.add(lane("broker-a"), entry("a")), b.add(lane("broker-b"), entry("b"))];
  assert.is(broker.sent.length, 0);
  let flushed = false;
  const f = b.flush().then(() => (flushed = true));
  assert.is(broker.sent.length, 2);
  assert.is(timers.pending, 0);
  broker.ok(0);
  await settled();
  assert.not.ok(flushed);
  broker.ok(1);
  await f;
  assert.equal((await Promise.all(ps)).map((r) => r.queueOffset), [0, 1]);
  await b.flush();
});

test("each broker group has its own in-flight limit: a stuck group does not hold the others back", async ({ timers, broker }) => {
  const b = new Batcher(limits({ maxInFlight: 2 }), broker.transport, timers);
  const a = lane("broker-a");
  const c = lane("broker-b");
  for (let i = 0; i < 12; i++) void b.add(a, entry(`a${i}`));
  assert.equal(b.groups(), { "broker-a": { inFlight: 2, ready: 2 } }, "broker-a is full and never answers");
  const ps = [0, 1, 2].map((i) => b.add(c, entry(`b${i}`)));
  assert.equal(broker.sent.map((x) => x.lane.group), ["broker-a", "broker-a", "broker-b"], "broker-b's batch goes at once");
  broker.ok(2);
  assert.equal((await Promise.all(ps)).length, 3);
  assert.equal(b.stats(), { open: 0, ready: 2, inFlight: 2, queued: 12 });
});

test("a group's lingering batches go when that group's last reply comes in, not another's", async ({ timers, broker }) => {
  const b = new Batcher(limits({ maxMessages: 100, lingerMs: 1000 }), broker.transport, timers);
  const a = lane("broker-a");
  const c = lane("broker-b");
  void b.add(a, entry("a0"));
  void b.add(c, entry("b0"));
  timers.advance(0);
  void b.add(a, entry("a1"));
  void b.add(c, entry("b1"));
  timers.advance(0);
  assert.is(broker.sent.length, 2, "both lanes linger behind their group's batch in flight");
  broker.ok(1); // broker-b answers; broker-a is still silent
  await settled();
  assert.equal(broker.sent.map((x) => x.lane.group), ["broker-a", "broker-b", "broker-b"]);
});

test("shutOut regroups a group's open and ready batches onto the lane given; pinned ones stay", async ({ timers, broker }) => {
  const b = new Batcher(limits({ maxInFlight: 1, lingerMs: 1000 }), broker.transport, timers);
  const a = lane("broker-a");
  const pinned: Lane = { topic: "orders", group: "broker-a", pinned: true, open: undefined, sizeHint: 0 };
  const c = lane("broker-b");
  const ps = Array.from({ length: 10 }, (_, i) => b.add(a, entry(`a${i}`)).then((r) => r.queueOffset, (e: RbusError) => e.code));
  const kept = b.add(pinned, entry("pinned")).then((r) => r.queueOffset, (e: RbusError) => e.code);
  // a0-a2 in flight to broker-a, a3-a5 and a6-a8 ready behind them; a9 and the pinned message lingering.
  assert.equal(b.groups(), { "broker-a": { inFlight: 1, ready: 2 } });
  assert.is(b.stats().open, 2);
  const offered: string[] = [];
  const moved = b.shutOut("broker-a", (batch) => {
    offered.push(bodiesOf(batch).join(","));
    return !batch.lane.pinned && b.regroup(batch, () => ({ lane: c, queueIds: [0], next: 0 }));
  });
  assert.is(moved, 3, "the open batch and both ready ones");
  assert.equal(offered, ["a9", "pinned", "a3,a4,a5", "a6,a7,a8"], "every batch not sent yet is offered, none in flight");
  assert.equal(b.groups(), { "broker-a": { inFlight: 1, ready: 0 }, "broker-b": { inFlight: 1, ready: 2 } });
  assert.equal(broker.sent.map((x) => x.lane.group), ["broker-a", "broker-b"], "broker-b's pipe takes the first moved batch at once");
  broker.ok(1);
  await settled();
  broker.ok(2);
  await settled();
  broker.fail(0, new RbusError(ErrorCode.TIMEOUT, "no reply"));
  await settled();
  assert.is(broker.sent[4]!.lane.pinned, true, "the pinned batch waited for broker-a's pipe");
  broker.ok(3);
  broker.ok(4);
  assert.equal(await Promise.all(ps), ["TIMEOUT", "TIMEOUT", "TIMEOUT", 1, 2, 3, 4, 5, 6, 0], "only the batch already sent to broker-a failed");
  assert.is(await kept, 7);
  assert.is(timers.pending, 0, "the moved open batch left no timer behind");
});

test.run();
