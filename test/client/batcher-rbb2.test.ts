// The batcher's RBB2 encoding, without NATS: what it writes is what the
// store's record code reads back once sealed, for several topics in one
// batch, across buffer growth and after a batch's messages move groups.
// Results: the lazy message id is the eager one.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { Batcher, type Batch, type BatchLimits, type Lane, type Timers } from "../../src/client/batcher.js";
import { RBB1, RBB2 } from "../../src/client/batcher-wire.js";
import { blankEntry, check, prepare, type Message } from "../../src/client/producer-message.js";
import { BatchedSendResult, StoredBatch } from "../../src/client/producer-results.js";
import { decodeBatch, encodeMsgId, type BatchSendResult, type SendResult } from "../../src/protocol/index.js";
import { walkRecordBatch } from "../../src/protocol/record-batch-walk.js";
import { ANY_QUEUE, checkRecord, decodeRecord, encodedSize, encodeUnsealed, sealRecord } from "../../src/store/record.js";
import { RecordStatus } from "../../src/store/status.js";

/** Timers that never fire unless the test says so: batches close by count, flush or regroup. */
const idle: Timers = { set: () => 0, clear: () => undefined };

/** A transport that keeps each batch and answers when asked, with consecutive offsets from 100. */
class Keeper {
  readonly sent: Batch[] = [];
  private readonly answers: Array<(r: BatchSendResult | undefined) => void> = [];
  readonly transport = (b: Batch) => {
    this.sent.push(b);
    return new Promise<BatchSendResult | undefined>((r) => this.answers.push(r));
  };
  ok(i: number, group = "broker-a"): void {
    const b = this.sent[i]!;
    const records = walkRecordBatch(b.payload());
    const n = records.count;
    this.answers[i]!({
      status: "SEND_OK", topic: "", group,
      queueIds: records.queueIds,
      queueOffsets: Array.from({ length: n }, (_, k) => k),
      commitLogOffsets: Array.from({ length: n }, (_, k) => 100 + k),
    });
  }
  moved(i: number): void {
    this.answers[i]!(undefined);
  }
}

/** Seals every record of a payload as a store would and decodes it back. */
function stored(payload: Buffer) {
  const batch = walkRecordBatch(payload);
  const buf = Buffer.from(payload); // a copy: sealing writes into it
  return batch.offsets.map((at, i) => {
    const size = batch.sizes[i]!;
    const q = batch.queueIds[i]!;
    sealRecord(buf, at, size, 7, 5000 + at, q === ANY_QUEUE ? 3 : q, 40 + i, 1_700_000_000_000);
    assert.is(checkRecord(buf, at, at + size), RecordStatus.OK, `record ${i} checks once sealed`);
    return decodeRecord(buf, at);
  });
}

const limits = (o: Partial<BatchLimits> = {}): BatchLimits => ({ lingerMs: 5, maxMessages: 100, maxBytes: 1 << 20, maxInFlight: 8, maxQueuedMessages: 10_000, ...o });
const groupLane = (group = "broker-a"): Lane => ({ topic: "", group, pinned: false, open: undefined, sizeHint: 0 });
const entry = (m: Message, queueId: number) => ({ ...prepare(m, 1 << 20, 1_690_000_000_000), queueId });

const test = suite("Batcher, RBB2 encoding");

test("several topics in one batch; each record decodes to its message once sealed", async () => {
  const k = new Keeper();
  const b = new Batcher(limits(), k.transport, idle, RBB2);
  const l = groupLane();
  const msgs: Message[] = [
    { topic: "orders", body: "héllo", tags: "TagA", keys: ["k1", "k2"], properties: { "X-Trace": "abc" } },
    { topic: "payments", body: new Uint8Array([0, 1, 2, 255]) },
    { topic: "orders", body: "", keys: "solo" },
    { topic: "audit-log", body: "x".repeat(300), properties: { a: "ü", b: "" } },
  ];
  const ps = msgs.map((m, i) => b.add(l, entry(m, i)));
  const flushed = b.flush();
  assert.is(k.sent.length, 1, "one request for every topic of the group");
  const records = stored(k.sent[0]!.payload());
  assert.equal(records.map((r) => r.topic), msgs.map((m) => m.topic));
  assert.equal(records.map((r) => r.queueId), msgs.map((_, i) => i));
  assert.equal(records[0]!.tags, "TagA");
  assert.equal(records[0]!.keys, "k1 k2");
  assert.equal(records[0]!.properties, { "X-Trace": "abc" });
  assert.equal(Buffer.from(records[0]!.body).toString(), "héllo");
  assert.equal([...records[1]!.body], [0, 1, 2, 255]);
  assert.equal(records[2]!.keys, "solo");
  assert.is(records[2]!.body.byteLength, 0);
  assert.equal(records[3]!.properties, { a: "ü", b: "" });
  assert.ok(records.every((r) => r.bornTimestamp === 1_690_000_000_000), "the producer's clock, as RBB1 carries it");
  assert.ok(records.every((r) => r.term === 7 && r.storeTimestamp === 1_700_000_000_000), "what the store seals");
  k.ok(0);
  const rs: SendResult[] = await Promise.all(ps);
  await flushed;
  assert.equal(rs.map((r) => r.topic), msgs.map((m) => m.topic), "each result names its own topic");
});

test("RBB2 writes exactly the bytes encodeUnsealed writes", () => {
  const cases: Array<[Message, number, number]> = [
    [{ topic: "orders", body: "héllo", tags: "TagA", keys: ["k1", "k2"], properties: { "X-Trace": "abc", b: "ü" } }, 3, 1_690_000_000_123],
    [{ topic: "t", body: new Uint8Array(0) }, -1, 0],
    [{ topic: "t", body: "x", tags: "tåg", keys: "k".repeat(100), properties: { ["p".repeat(64)]: "v".repeat(65), q: "日本" } }, 1, 5],
    [{ topic: "Big_topic-9", body: "z".repeat(70_000), keys: "only" }, 0xfffe, 2 ** 52 + 7],
  ];
  for (const [m, queueId, born] of cases) {
    const e = { ...prepare(m, 1 << 20, born), queueId };
    const size = RBB2.size(e);
    assert.is(size, encodedSize(e));
    const mine = Buffer.alloc(size + 16, 0xaa);
    const theirs = Buffer.alloc(size + 16, 0x55);
    RBB2.write(mine, 8, size, e);
    encodeUnsealed(theirs, 8, size, e);
    assert.ok(mine.subarray(8, 8 + size).equals(theirs.subarray(8, 8 + size)), `same bytes for ${m.topic}`);
    assert.is(mine[8 + size], 0xaa, "nothing written past the record");
    // a string body kept as text (sendAsync's way) is written as the same bytes, for both wires
    const t = { ...check(m, blankEntry(), 1 << 20, born, undefined, true), queueId };
    assert.is(t.text !== undefined, typeof m.body === "string");
    for (const wire of [RBB2, RBB1]) {
      const n = wire.size(t);
      assert.is(n, wire.size(e));
      const a = Buffer.alloc(n);
      const b = Buffer.alloc(n);
      wire.write(a, 0, n, t);
      wire.write(b, 0, n, e);
      assert.ok(a.equals(b), `${wire.name}: a text body writes the bytes of its encoding`);
    }
  }
});

test("a queue left to the broker is ANY_QUEUE in the record", () => {
  const k = new Keeper();
  const b = new Batcher(limits({ maxMessages: 1 }), k.transport, idle, RBB2);
  void b.add(groupLane(), entry({ topic: "orders", body: "x" }, -1));
  assert.equal(walkRecordBatch(k.sent[0]!.payload()).queueIds, [ANY_QUEUE]);
});

test("a batch's buffer grows as messages come; bytes written before the growth stay", () => {
  const k = new Keeper();
  const b = new Batcher(limits({ maxMessages: 64 }), k.transport, idle, RBB2);
  const l = groupLane();
  for (let i = 0; i < 64; i++) void b.add(l, entry({ topic: `t${i % 5}`, body: `${i}:` + "y".repeat(i * 37) }, i % 4));
  assert.is(k.sent.length, 1);
  const records = stored(k.sent[0]!.payload());
  assert.equal(records.map((r) => Buffer.from(r.body).toString().split(":")[0]), Array.from({ length: 64 }, (_, i) => String(i)));
  assert.ok(l.sizeHint > 64 * 37 * 30, "the lane remembers how large its batch was");
  void b.add(l, entry({ topic: "t0", body: "next" }, 0));
  assert.ok(b.stats().open === 1);
});

test("maxBytes counts the record sizes: a batch closes before a record would pass it", () => {
  const k = new Keeper();
  const one = RBB2.size(entry({ topic: "orders", body: "z".repeat(100) }, 0));
  const b = new Batcher(limits({ maxBytes: 8 + 3 * one }), k.transport, idle, RBB2);
  const l = groupLane();
  for (let i = 0; i < 7; i++) void b.add(l, entry({ topic: "orders", body: "z".repeat(100) }, 0));
  assert.equal(k.sent.map((x) => x.count), [3, 3]);
  assert.equal(k.sent.map((x) => x.payload().length), [8 + 3 * one, 8 + 3 * one]);
});

test("regroup copies each record to its topic's new lane and queues, keeping order and promises", async () => {
  const k = new Keeper();
  const b = new Batcher(limits({ maxMessages: 6 }), k.transport, idle, RBB2);
  const from = groupLane("broker-a");
  const toB = groupLane("broker-b");
  const toC = groupLane("broker-c");
  const topics = ["orders", "payments", "orders", "orders", "payments", "orders"];
  const ps = topics.map((t, i) => b.add(from, entry({ topic: t, body: `m${i}` }, 0)));
  assert.is(k.sent.length, 1);
  const asked: string[] = [];
  const moved = b.regroup(k.sent[0]!, (t) => {
    asked.push(t);
    return t === "orders" ? { lane: toB, queueIds: [4, 5], next: 1 } : { lane: toC, queueIds: [2], next: 0 };
  });
  assert.ok(moved);
  assert.equal(asked, ["orders", "payments"], "one route per topic");
  k.moved(0);
  assert.equal(k.sent.slice(1).map((x) => x.lane.group), ["broker-b", "broker-c"]);
  const onB = stored(k.sent[1]!.payload());
  const onC = stored(k.sent[2]!.payload());
  assert.equal(onB.map((r) => `${Buffer.from(r.body)}@${r.queueId}`), ["m0@5", "m2@4", "m3@5", "m5@4"]);
  assert.equal(onC.map((r) => `${Buffer.from(r.body)}@${r.queueId}`), ["m1@2", "m4@2"]);
  assert.is(b.stats().queued, 6, "moved messages still count until answered");
  k.ok(1, "broker-b");
  k.ok(2, "broker-c");
  const rs = await Promise.all(ps);
  assert.equal(rs.map((r) => r.msgId.split(":")[0]), ["broker-b", "broker-c", "broker-b", "broker-b", "broker-c", "broker-b"]);
  assert.is(b.stats().queued, 0);
});

test("regroup: a topic with nowhere to go stays on its group with its queues; nothing moves when no topic can", async () => {
  const k = new Keeper();
  const b = new Batcher(limits({ maxMessages: 3 }), k.transport, idle, RBB2);
  const from = groupLane("broker-a");
  const ps = [["orders", 1], ["lonely", 2], ["orders", 3]].map(([t, q], i) => b.add(from, entry({ topic: t as string, body: `m${i}` }, q as number)));
  assert.not.ok(b.regroup(k.sent[0]!, () => undefined));
  assert.is(k.sent.length, 1, "nothing made");
  assert.ok(b.regroup(k.sent[0]!, (t) => (t === "orders" ? { lane: groupLane("broker-b"), queueIds: [0], next: 0 } : undefined)));
  k.moved(0);
  assert.equal(k.sent.slice(1).map((x) => [x.lane.group, stored(x.payload()).map((r) => `${Buffer.from(r.body)}@${r.queueId}`)]), [
    ["broker-b", ["m0@0", "m2@0"]],
    ["broker-a", ["m1@2"]],
  ]);
  assert.is(k.sent[2]!.lane, from, "the rest goes back on its own lane");
  k.ok(1, "broker-b");
  k.ok(2, "broker-a");
  assert.equal((await Promise.all(ps)).map((r) => r.msgId.split(":")[0]), ["broker-b", "broker-a", "broker-b"]);
});

test("a whole batch (sendBatch) stays whole and on one queue when it moves; one promise for it", async () => {
  const k = new Keeper();
  const b = new Batcher(limits({ maxMessages: 2 }), k.transport, idle, RBB2);
  const w = b.whole(groupLane());
  const scratch = prepare({ topic: "orders", body: "" }, 1 << 20, 0);
  for (let i = 0; i < 5; i++) {
    check({ topic: "orders", body: `w${i}` }, scratch, 1 << 20, 0);
    scratch.queueId = 1;
    b.put(w, scratch);
  }
  const p = b.submit(w);
  assert.is(b.stats().queued, 5);
  assert.ok(b.regroup(k.sent[0]!, () => ({ lane: groupLane("broker-b"), queueIds: [6, 7], next: 1 })));
  k.moved(0);
  assert.is(k.sent.length, 2, "one batch, though maxMessages is 2");
  assert.equal(stored(k.sent[1]!.payload()).map((r) => r.queueId), [7, 7, 7, 7, 7]);
  k.ok(1, "broker-b");
  const r = await p;
  assert.is(r.queueId, 7);
  assert.equal(r.queueOffsets, [0, 1, 2, 3, 4]);
  assert.equal(r.msgIds, [100, 101, 102, 103, 104].map((o) => encodeMsgId("broker-b", o)));
});

test("the lazy msgId is encodeMsgId's; JSON shows the fields of a plain SendResult", () => {
  for (const offset of [0, 1, 0xabcdef, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
    const r = new BatchedSendResult("SEND_OK", "orders", 3, 17, "broker-a", offset);
    assert.is(r.msgId, encodeMsgId("broker-a", offset));
    assert.is(r.msgId, r.msgId);
    assert.equal(JSON.parse(JSON.stringify(r)), { status: "SEND_OK", msgId: encodeMsgId("broker-a", offset), topic: "orders", queueId: 3, queueOffset: 17 });
  }
  const s = new StoredBatch("SEND_OK", "orders", "broker-a", 2, [5, 6], [10, 20]);
  assert.equal(JSON.parse(JSON.stringify(s)), { status: "SEND_OK", topic: "orders", group: "broker-a", queueId: 2, msgIds: [encodeMsgId("broker-a", 10), encodeMsgId("broker-a", 20)], queueOffsets: [5, 6] });
});

test("RBB1 written as it fills decodes as the RBB1 layout did", () => {
  const k = new Keeper();
  const b = new Batcher(limits({ maxMessages: 2 }), k.transport, idle, RBB1);
  const l: Lane = { topic: "orders", group: "broker-a", pinned: false, open: undefined, sizeHint: 0 };
  void b.add(l, entry({ topic: "orders", body: "héllo", tags: "T", keys: "k", properties: { p: "v", q: "ü" } }, 2));
  void b.add(l, entry({ topic: "orders", body: "" }, -1));
  const [a, c] = decodeBatch(k.sent[0]!.payload());
  assert.equal({ ...a, body: Buffer.from(a!.body).toString() }, { queueId: 2, bornTimestamp: 1_690_000_000_000, tags: "T", keys: "k", properties: { p: "v", q: "ü" }, body: "héllo" });
  assert.equal(c!.queueId, -1);
  assert.is(RBB1.sizeAt(k.sent[0]!.buf, 8), RBB1.size(entry({ topic: "orders", body: "héllo", tags: "T", keys: "k", properties: { p: "v", q: "ü" } }, 2)));
});

test.run();
