// The RBB2 walk: what it yields for a good payload, each of its refusals
// by name, and, for hostile bytes, never anything but BadRequestError (and
// never a batch whose records a reader cannot decode once sealed).
import fc from "fast-check";
import * as assert from "uvu/assert";
import { BadRequestError } from "../../src/protocol/errors.js";
import { frameRecordBatch, isRecordBatch, RECORD_BATCH_HEADER_BYTES, writeRecordBatchHeader } from "../../src/protocol/record-batch.js";
import { walkRecordBatch } from "../../src/protocol/record-batch-walk.js";
import { ANY_QUEUE, checkRecord, decodeRecord, encodedSize, encodeUnsealed, FIXED_BYTES, sealRecord, type UnsealedMessage } from "../../src/store/record.js";
import { RecordStatus } from "../../src/store/status.js";
import { suite } from "../harness/suite.js";

const R = RECORD_BATCH_HEADER_BYTES;
const TOPIC_AT = R + 60;
const one = (m: Partial<UnsealedMessage> = {}) => frameRecordBatch([{ topic: "orders", queueId: 1, body: Buffer.from("hello"), ...m }]);
const refuses = (buf: Buffer, why: RegExp) => {
  try {
    walkRecordBatch(buf);
  } catch (err) {
    assert.instance(err, BadRequestError);
    assert.match((err as Error).message, why);
    return;
  }
  assert.unreachable(`accepted; expected ${why}`);
};

const walk = suite("walkRecordBatch: a good payload");

walk("yields each record's place, size, queue, topic, tags and keys, one string per run of a topic", () => {
  const messages: UnsealedMessage[] = [
    { topic: "orders", queueId: 2, body: Buffer.from("a"), tags: "new", keys: "k1 k2" },
    { topic: "orders", body: Buffer.from("bb"), tags: "new", properties: { p: "v", "": "" } },
    { topic: "audit", queueId: 0, body: Buffer.alloc(0), keys: "ключ" },
  ];
  const buf = frameRecordBatch(messages);
  const b = walkRecordBatch(buf);
  assert.is(b.count, 3);
  assert.is(b.bytes, buf, "the payload itself, not a copy");
  const sizes = messages.map(encodedSize);
  assert.equal(b.sizes, sizes);
  assert.equal(b.offsets, [R, R + sizes[0]!, R + sizes[0]! + sizes[1]!]);
  assert.equal(b.queueIds, [2, ANY_QUEUE, 0]);
  assert.equal(b.topics, ["orders", "orders", "audit"]);
  assert.equal(b.tags, ["new", "new", ""]);
  assert.equal(b.keys, ["k1 k2", "", "ключ"]);
  assert.equal(b.bodyBytes, [1, 2, 0]);
});

walk("a payload from Uint8Array (as NATS delivers it) and framed by hand is read the same", () => {
  const m = { topic: "t", body: Buffer.from("x") };
  const size = encodedSize(m);
  const backing = new Uint8Array(3 + R + size);
  const buf = Buffer.from(backing.buffer, 3, R + size);
  writeRecordBatchHeader(buf, 1);
  encodeUnsealed(buf, R, size, m);
  assert.ok(isRecordBatch(buf));
  assert.not.ok(isRecordBatch(Buffer.from("RBB1xxxx")));
  const b = walkRecordBatch(new Uint8Array(backing.buffer, 3, R + size));
  assert.equal(b.topics, ["t"]);
  assert.is(b.offsets[0], R);
});

const refusal = suite("walkRecordBatch: every refusal is a BadRequestError naming what is wrong");

refusal("framing", () => {
  refuses(Buffer.from("RBB1\0\0\0\x01"), /missing RBB2 magic/);
  refuses(Buffer.from("RBB"), /missing RBB2 magic/);
  const empty = Buffer.alloc(R);
  writeRecordBatchHeader(empty, 0);
  refuses(empty, /count is 0/);
  const huge = one();
  huge.writeUInt32BE(0xffffffff, 4);
  refuses(huge, /count 4294967295 records cannot fit/);
  const two = one();
  two.writeUInt32BE(1, 4);
  refuses(Buffer.concat([two, Buffer.alloc(FIXED_BYTES)]), /record 1 of 1|bytes after the last record/);
  refuses(Buffer.concat([one(), Buffer.from([0])]), /1 bytes after the last record/);
});

refusal("a record's header", () => {
  const set = (at: number, v: number) => {
    const b = one();
    b.writeUInt32BE(v, at);
    return b;
  };
  refuses(set(R + 4, 0x52420002), /record 0 of 1 at byte 8: record magic 0x52420002/);
  refuses(set(R, FIXED_BYTES - 1), /totalSize 73 is below the fixed 74/);
  refuses(set(R, 1 << 30), /totalSize 1073741824 runs past the payload/);
  refuses(set(R + 28, 0x80000000), /queueId 2147483648 is neither a queue nor ANY_QUEUE/);
  refuses(set(R + 40, 0x00200000), /bornTimestamp is not a time/);
  refuses(set(R + 56, 0x40000000), /gap bit/);
  const two = Buffer.concat([one(), one().subarray(R)]);
  two.writeUInt32BE(2, 4);
  refuses(two.subarray(0, two.length - 10), /record 1 of 2 at byte \d+: (truncated|totalSize \d+ runs past)/);
});

refusal("a record's fields", () => {
  const topic = (t: string) => one({ topic: t });
  refuses(topic(""), /topic of 0 bytes/);
  refuses(topic("x".repeat(128)), /topic of 128 bytes/);
  refuses(topic("a.b"), /topic has byte 0x2e/);
  refuses(topic("%RBUS_GAP%"), /topic "%RBUS_GAP%" is reserved/);
  refuses(topic("%RBUS_TERM%"), /topic "%RBUS_TERM%" is reserved/);
  const lie = (at: number, v: number, u32 = false) => {
    const b = one({ tags: "t", keys: "k", properties: { a: "b" } });
    if (u32) b.writeUInt32BE(v, at);
    else b.writeUInt16BE(v, at);
    return b;
  };
  const tagsAt = TOPIC_AT + 2 + "orders".length;
  const keysAt = tagsAt + 3;
  const propsAt = keysAt + 3;
  refuses(lie(TOPIC_AT, 0xffff), /topic length 65535 runs past the record/);
  refuses(lie(tagsAt, 0xffff), /tags length 65535 runs past the record/);
  refuses(lie(keysAt, 0xffff), /keys length 65535 runs past the record/);
  refuses(lie(propsAt, 0xffffff, true), /properties length 16777215 runs past the record/);
  refuses(lie(propsAt + 4, 9), /a property's (name or value length|value) runs past the properties/);
  refuses(lie(propsAt, 5, true), /a property's (name or value length|value) runs past the properties/);
  refuses(lie(propsAt + 4 + 6, 3, true), /the fields take \d+ bytes, totalSize says \d+/);
  refuses(lie(TOPIC_AT, 1), /topic has byte|the fields take|length/);
});

refusal("a record that is unsealed, but a sealed one is also accepted (the store overwrites the seal)", () => {
  const b = one();
  sealRecord(b, R, b.length - R, 9, 123, 1, 5, 1_700_000_000_000);
  assert.equal(walkRecordBatch(b).queueIds, [1]);
});

const fuzz = suite("walkRecordBatch under hostile bytes");

/** Throws unless the walk either refuses with BadRequestError or accepts records that decode once sealed. */
function survives(buf: Buffer): boolean {
  let b;
  try {
    b = walkRecordBatch(buf);
  } catch (err) {
    if (err instanceof BadRequestError) return false;
    throw err;
  }
  const copy = Buffer.from(buf);
  for (let i = 0; i < b.count; i++) {
    sealRecord(copy, b.offsets[i]!, b.sizes[i]!, 1, 0, 0, 0, 1);
    if (checkRecord(copy, b.offsets[i]!, copy.length) !== RecordStatus.OK) throw new Error(`record ${i} accepted but does not check once sealed`);
    const d = decodeRecord(copy, b.offsets[i]!);
    if (d.topic !== b.topics[i] || d.tags !== b.tags[i] || d.keys !== b.keys[i] || d.body.length !== b.bodyBytes[i]) throw new Error(`record ${i} read differently`);
  }
  return true;
}

const message: fc.Arbitrary<UnsealedMessage> = fc.record(
  {
    topic: fc.constantFrom("orders", "a", "x-y_z%|9", "t".repeat(127)),
    queueId: fc.oneof(fc.integer({ min: 0, max: 0x7fffffff }), fc.constant(undefined)),
    body: fc.uint8Array({ maxLength: 64 }),
    tags: fc.string({ maxLength: 8 }),
    keys: fc.string({ unit: "grapheme", maxLength: 12 }),
    properties: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
    bornTimestamp: fc.integer({ min: 0, max: 2 ** 50 }),
    flags: fc.integer({ min: 0, max: 0x3fffffff }),
  },
  { requiredKeys: ["topic", "body"] },
);
const batch = fc.array(message, { minLength: 1, maxLength: 6 }).map((ms) => frameRecordBatch(ms));
const runs = { numRuns: 400 };

fuzz("random bytes, with and without the magic and a count", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => void survives(Buffer.from(bytes))), runs);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 600 }), (count, bytes) => {
      const buf = Buffer.alloc(R + bytes.length);
      writeRecordBatchHeader(buf, count);
      buf.set(bytes, R);
      survives(buf);
    }),
    runs,
  );
});

fuzz("a good batch is accepted whole; every truncation of it is refused", () => {
  fc.assert(
    fc.property(batch, fc.nat(), (buf, cut) => {
      assert.ok(survives(buf), "a batch framed by frameRecordBatch is accepted");
      assert.not.ok(survives(buf.subarray(0, cut % buf.length)), "truncated");
    }),
    runs,
  );
});

fuzz("lying lengths and counts: any u8, u16 or u32 overwritten anywhere", () => {
  fc.assert(
    fc.property(batch, fc.nat(), fc.constantFrom(1, 2, 4), fc.nat({ max: 0xffffffff }), (buf, where, width, v) => {
      const at = where % Math.max(1, buf.length - width);
      buf.writeUIntBE(v % 2 ** (8 * width), at, width);
      survives(buf);
    }),
    { numRuns: 2000 },
  );
});

fuzz("bytes after the header spliced from another batch", () => {
  fc.assert(
    fc.property(batch, batch, fc.nat(), fc.nat(), (a, b, i, j) => {
      const cutA = R + (i % (a.length - R + 1));
      survives(Buffer.concat([a.subarray(0, cutA), b.subarray(R + (j % (b.length - R + 1)))]));
    }),
    runs,
  );
});

walk.run();
refusal.run();
fuzz.run();
