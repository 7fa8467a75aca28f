// The consumer's reading of a binary pull reply: every field of every
// record, the topic string shared by a run of one topic, and framing that
// does not add up refused with the byte it breaks at, never a crash.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { decodeRecords } from "../../src/client/pull-decode.js";
import { encodeMsgId, ErrorCode, RbusError } from "../../src/protocol/index.js";
import { decodeRecord, encodedSize, encodeRecord } from "../../src/store/record.js";
import type { PutMessage } from "../../src/store/types.js";

const test = suite("pull reply decoding");

function records(ms: PutMessage[]): Buffer {
  const sizes = ms.map(encodedSize);
  const buf = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  ms.forEach((m, i) => {
    encodeRecord(buf, at, sizes[i]!, m, 3, 4096 + at, 10 + i, 1_700_000_000_000 + i);
    at += sizes[i]!;
  });
  return buf;
}

const message = fc.record({
  topic: fc.constantFrom("orders", "billing", "t", "ключ"),
  queueId: fc.nat(1000),
  tags: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
  keys: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
  properties: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }), { nil: undefined }),
  bornTimestamp: fc.integer({ min: 1, max: 2 ** 45 }),
  body: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
});

test("every field as the store's own decoder reads it, for any run of messages", () => {
  fc.assert(fc.property(fc.array(message, { minLength: 1, maxLength: 12 }), (ms) => {
    const buf = records(ms);
    const got = decodeRecords(buf, "broker-a");
    assert.is(got.length, ms.length);
    let at = 0;
    for (const m of got) {
      const r = decodeRecord(buf, at);
      assert.equal(
        { ...m, body: [...m.body] },
        {
          msgId: encodeMsgId("broker-a", r.commitLogOffset), topic: r.topic, group: "broker-a", queueId: r.queueId, queueOffset: r.queueOffset,
          tags: r.tags, keys: r.keys, properties: { ...r.properties }, bornAt: r.bornTimestamp, storedAt: r.storeTimestamp, body: [...r.body],
        },
      );
      at += r.size;
    }
  }));
});

test("a run of one topic shares one string; another topic gets its own", () => {
  const body = Buffer.from("x");
  const got = decodeRecords(records([{ topic: "orders", queueId: 0, body }, { topic: "orders", queueId: 0, body }, { topic: "ordesr", queueId: 0, body }]), "g");
  assert.equal(got.map((m) => m.topic), ["orders", "orders", "ordesr"]);
});

test("each message has its own properties object", () => {
  const got = decodeRecords(records([{ topic: "t", queueId: 0, body: Buffer.from("a") }, { topic: "t", queueId: 0, body: Buffer.from("b") }]), "g");
  got[0]!.properties["x"] = "1";
  assert.equal(got[1]!.properties, {});
});

test("bytes that do not frame records are refused with the byte, never anything else", () => {
  const good = records([{ topic: "orders", queueId: 1, body: Buffer.from("hello"), properties: { a: "b" } }, { topic: "orders", queueId: 1, body: Buffer.from("x") }]);
  fc.assert(fc.property(fc.nat(good.length - 1), fc.nat(255), fc.nat(good.length), (i, byte, cut) => {
    const bad = Buffer.from(good.subarray(0, Math.max(1, cut)));
    if (i < bad.length) bad[i] = byte;
    try {
      decodeRecords(bad, "g");
    } catch (err) {
      assert.ok(err instanceof RbusError && err.code === ErrorCode.INTERNAL, String(err));
      assert.match((err as Error).message, /malformed record at byte \d+ of a pull reply from g/);
    }
  }));
  const short = Buffer.from(good.subarray(0, good.length - 1));
  assert.throws(() => decodeRecords(short, "g"), (e: Error) => /at byte \d+/.test(e.message));
});

test.run();
