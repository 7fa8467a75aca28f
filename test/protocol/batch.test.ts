import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { batchSize, decodeBatch, decodeBatchReply, encodeBatch, encodeBatchReply, type BatchEntry } from "../../src/protocol/batch.js";
import { decodeMsgId, encodeMsgId, parseTagExpression } from "../../src/protocol/messages.js";

const test = suite("send.batch framing");

const entries: BatchEntry[] = [
  { queueId: 3, bornTimestamp: 1_700_000_000_123, tags: "TagA", keys: "k1 k2", properties: { color: "réd", n: "1" }, body: Buffer.from("héllo") },
  { queueId: -1, bornTimestamp: 0, body: new Uint8Array([0, 255, 7]) },
];

test("round trip, with the size computed up front", () => {
  const buf = encodeBatch(entries);
  assert.is(buf.length, batchSize(entries));
  const back = decodeBatch(buf);
  assert.equal(back.map((e) => [e.queueId, e.bornTimestamp, e.tags, e.keys, e.properties, [...e.body]]), [
    [3, 1_700_000_000_123, "TagA", "k1 k2", { color: "réd", n: "1" }, [...Buffer.from("héllo")]],
    [-1, 0, undefined, undefined, undefined, [0, 255, 7]],
  ]);
});

test("a property named __proto__ is data, not a prototype", () => {
  const props = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
  const [back] = decodeBatch(encodeBatch([{ queueId: 0, bornTimestamp: 0, properties: props, body: new Uint8Array() }]));
  assert.equal(Object.keys(back!.properties!), ["__proto__", "a"]);
  assert.is(Object.getPrototypeOf(back!.properties), Object.prototype);
});

test("every truncation and trailing garbage is a BAD_REQUEST", () => {
  const buf = encodeBatch(entries);
  for (let cut = 0; cut < buf.length; cut++) {
    assert.throws(() => decodeBatch(buf.subarray(0, cut)), /malformed send.batch payload/, `cut at ${cut}`);
  }
  assert.throws(() => decodeBatch(Buffer.concat([buf, Buffer.from([1])])), /bytes after the last message/);
});

test("the binary reply round-trips and refuses a wrong length", () => {
  const reply = encodeBatchReply([0, 3], [17, 2 ** 40], [0, 2 ** 50 + 3]);
  assert.is(reply.length, 4 + 2 * 20);
  assert.equal(decodeBatchReply(reply), { queueIds: [0, 3], queueOffsets: [17, 2 ** 40], commitLogOffsets: [0, 2 ** 50 + 3] });
  assert.throws(() => decodeBatchReply(reply.subarray(0, reply.length - 1)), /malformed send.batch reply/);
  assert.throws(() => decodeBatchReply(new Uint8Array(2)), /malformed send.batch reply/);
});

test("message ids name the group and the commit-log offset", () => {
  const id = encodeMsgId("broker-a", 0x1234);
  assert.is(id, "broker-a:0000000000001234");
  assert.equal(decodeMsgId(id), { group: "broker-a", commitLogOffset: 0x1234 });
  for (const bad of ["", "broker-a", ":0000000000001234", "broker-a:12", "broker-a:zzzzzzzzzzzzzzzz"]) assert.is(decodeMsgId(bad), undefined, bad);
});

test("a message id is the offset in 16 hex digits for every offset, and decodes back", () => {
  fc.assert(fc.property(fc.maxSafeNat(), (offset) => {
    const id = encodeMsgId("g", offset);
    assert.is(id, "g:" + offset.toString(16).padStart(16, "0"));
    assert.equal(decodeMsgId(id), { group: "g", commitLogOffset: offset });
  }));
  assert.is(encodeMsgId("g", 2 ** 53 - 1), "g:001fffffffffffff");
});

test("subscription expressions", () => {
  assert.is(parseTagExpression(undefined), undefined);
  assert.is(parseTagExpression("*"), undefined);
  assert.equal(parseTagExpression("a || b ||c"), ["a", "b", "c"]);
});

test.run();
