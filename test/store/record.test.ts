import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { ANY_QUEUE, checkRecord, decodeRecord, encodedSize, encodeRecord, encodeUnsealed, FIXED_BYTES, RECORD_MAGIC, sealRecord } from "../../src/store/record.js";
import { RecordStatus } from "../../src/store/status.js";
import { tagHash } from "../../src/store/tag-hash.js";
import type { PutMessage } from "../../src/store/types.js";

const encode = (m: PutMessage, phys = 0, qoff = 0): Buffer => {
  const size = encodedSize(m);
  const buf = Buffer.alloc(size);
  encodeRecord(buf, 0, size, m, 7, phys, qoff, 1_700_000_000_123);
  return buf;
};

const roundTrip = suite("record round trip");

roundTrip("every field survives, with unicode strings, binary body and properties", () => {
  const body = Buffer.from([0, 255, 1, 254, 0, 0, 10, 13]);
  const m: PutMessage = {
    topic: "Orders_%|-1", queueId: 3, body, tags: "tag-é✓", keys: "k1 ключ 🔑",
    properties: { "": "empty key", trace: "ü", "🚀": "" }, bornTimestamp: 1_600_000_000_000, flags: 0xdeadbeef,
  };
  const buf = encode(m, 2 ** 40 + 5, 2 ** 33 + 1);
  assert.is(buf.readUInt32BE(0), buf.length);
  assert.is(buf.readUInt32BE(4), RECORD_MAGIC);
  assert.is(checkRecord(buf, 0, buf.length), RecordStatus.OK);
  const d = decodeRecord(buf, 0);
  assert.equal(
    { ...d, body: [...d.body] },
    {
      topic: m.topic, queueId: 3, queueOffset: 2 ** 33 + 1, commitLogOffset: 2 ** 40 + 5, size: buf.length, term: 7,
      bornTimestamp: 1_600_000_000_000, storeTimestamp: 1_700_000_000_123, flags: 0xdeadbeef,
      tags: m.tags, keys: m.keys, properties: m.properties, body: [...body],
    },
  );
});

roundTrip("a minimal message has only the fixed part plus topic and body", () => {
  const m: PutMessage = { topic: "t", queueId: 0, body: new Uint8Array(0) };
  assert.is(encodedSize(m), FIXED_BYTES + 1);
  const d = decodeRecord(encode(m), 0);
  assert.is(d.tags, "");
  assert.equal(d.properties, {});
  assert.is(d.body.length, 0);
});

roundTrip("many records encode back to back into one buffer", () => {
  const ms = [0, 1, 2].map((i) => ({ topic: "t", queueId: i, body: Buffer.from(`body-${i}`) }));
  const sizes = ms.map(encodedSize);
  const buf = Buffer.alloc(sizes.reduce((a, b) => a + b));
  let at = 0;
  ms.forEach((m, i) => {
    encodeRecord(buf, at, sizes[i]!, m, 1, at, i, 5);
    at += sizes[i]!;
  });
  at = 0;
  for (let i = 0; i < 3; i++) {
    assert.is(checkRecord(buf, at, buf.length), RecordStatus.OK);
    const d = decodeRecord(buf, at);
    assert.is(d.body.toString(), `body-${i}`);
    assert.is(d.commitLogOffset, at);
    at += d.size;
  }
});

roundTrip("a field too long for its length prefix is refused", () => {
  assert.is(encodedSize({ topic: "t", queueId: 0, body: Buffer.alloc(0), keys: "k".repeat(70_000) }), -1);
});

const damage = suite("record damage");
const sample = (): Buffer => encode({ topic: "t", queueId: 1, body: Buffer.from("hello world"), keys: "a b" });

damage("a record cut short is TRUNCATED", () => {
  const buf = sample();
  assert.is(checkRecord(buf, 0, buf.length - 1), RecordStatus.TRUNCATED);
  assert.is(checkRecord(buf, 0, 5), RecordStatus.TRUNCATED);
});

damage("every single flipped byte after the length is detected", () => {
  const good = sample();
  for (let i = 4; i < good.length; i++) {
    const buf = Buffer.from(good);
    buf[i]! ^= 0x01;
    assert.is.not(checkRecord(buf, 0, buf.length), RecordStatus.OK, `byte ${i}`);
  }
});

damage("a wrong length or magic is CORRUPT", () => {
  const buf = sample();
  buf.writeUInt32BE(3, 0);
  assert.is(checkRecord(buf, 0, buf.length), RecordStatus.CORRUPT);
  const zeros = Buffer.alloc(100);
  assert.is(checkRecord(zeros, 0, zeros.length), RecordStatus.CORRUPT);
});

const hash = suite("tagHash");

hash("is FNV-1a 64 over UTF-8 bytes", () => {
  const ref = (s: string): bigint => {
    let h = 0xcbf29ce484222325n;
    for (const b of Buffer.from(s, "utf8")) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return h;
  };
  for (const s of ["a", "TagA", "ключ", "🔑 x", "x".repeat(300)]) assert.is(tagHash(s), ref(s), s);
  assert.is(tagHash(""), 0n);
  assert.is(tagHash("a"), 0xaf63dc4c8601ec8cn); // published FNV-1a 64 test vector
});

const unsealed = suite("records a producer encodes and a store seals");

unsealed("sealing an unsealed record gives the bytes encodeRecord writes", () => {
  const m: PutMessage = {
    topic: "orders", queueId: 2, body: Buffer.from("hello"), tags: "t", keys: "a b",
    properties: { trace: "x" }, bornTimestamp: 1_650_000_000_000, flags: 4,
  };
  const size = encodedSize(m);
  const a = Buffer.alloc(size, 0xee);
  encodeUnsealed(a, 0, size, { ...m, queueId: undefined });
  assert.is(a.readUInt32BE(28), ANY_QUEUE);
  assert.ok(a.subarray(8, 28).every((b) => b === 0), "crc, term and offset are zero, not leftover memory");
  assert.ok(a.subarray(32, 40).every((b) => b === 0) && a.subarray(48, 56).every((b) => b === 0));
  assert.is(checkRecord(a, 0, size), RecordStatus.CORRUPT, "an unsealed record is not a valid one");
  sealRecord(a, 0, size, 7, 4096, 2, 9, 1_700_000_000_123);
  const b = Buffer.alloc(size);
  encodeRecord(b, 0, size, m, 7, 4096, 9, 1_700_000_000_123);
  assert.ok(a.equals(b));
});

unsealed("a zero born time becomes the store's time", () => {
  const m = { topic: "t", body: Buffer.from("x") };
  const size = encodedSize(m);
  const buf = Buffer.alloc(size);
  encodeUnsealed(buf, 0, size, m);
  sealRecord(buf, 0, size, 1, 0, 0, 0, 1234);
  const d = decodeRecord(buf, 0);
  assert.is(d.bornTimestamp, 1234);
  assert.is(d.storeTimestamp, 1234);
  assert.is(checkRecord(buf, 0, size), RecordStatus.OK);
});

roundTrip.run();
unsealed.run();
damage.run();
hash.run();
