// What a handed-back record becomes (actors/retry-record.ts), and how a
// consumer reads the copy back (pull-decode.ts with retry-fields.ts).
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { decideSendBack } from "../../actors/retry-record.js";
import { decodeRecords } from "../../src/client/pull-decode.js";
import { dlqTopic, encodeMsgId, Prop, retryTopic } from "../../src/protocol/index.js";
import { encodedSize, encodeRecord } from "../../src/store/record.js";
import type { PutMessage, StoredMessage } from "../../src/store/types.js";

const stored = (over: Partial<StoredMessage> = {}): StoredMessage => ({
  topic: "orders", queueId: 5, queueOffset: 7, commitLogOffset: 4096, size: 100, term: 1, bornTimestamp: 111, storeTimestamp: 222,
  flags: 0, tags: "paid", keys: "k1 k2", properties: {}, body: Buffer.from("hello"), ...over,
});

const decide = suite("decideSendBack");

decide("a first failure goes to the retry topic at level 3, with its origin", () => {
  const d = decideSendBack({ consumerGroup: "billing", brokerGroup: "broker-a", record: stored(), levels: 18 });
  assert.is(d.outcome, "retry");
  assert.is(d.reconsumeTimes, 1);
  assert.is(d.delayLevel, 3);
  assert.is(d.message.topic, retryTopic("billing"));
  assert.is(d.message.queueId, 0);
  assert.equal(d.message.properties, {
    [Prop.retryTopic]: "orders", [Prop.originMsgId]: encodeMsgId("broker-a", 4096), [Prop.originQueueId]: "5", [Prop.reconsumeTimes]: "1",
  });
  assert.is(d.message.tags, "paid");
  assert.is(d.message.keys, "k1 k2");
  assert.is(Buffer.from(d.message.body).toString(), "hello");
});

decide("a retry failing again keeps its origin and counts on; the level follows the attempts, clamped", () => {
  const props = { [Prop.retryTopic]: "orders", [Prop.originMsgId]: "broker-a:0000000000001000", [Prop.originQueueId]: "5", [Prop.reconsumeTimes]: "4", [Prop.timerQueueOffset]: "9" };
  const d = decideSendBack({ consumerGroup: "billing", brokerGroup: "broker-a", record: stored({ topic: retryTopic("billing"), queueId: 0, commitLogOffset: 9000, properties: props }), levels: 18 });
  assert.is(d.reconsumeTimes, 5);
  assert.is(d.delayLevel, 7);
  assert.is(d.message.properties![Prop.originMsgId], "broker-a:0000000000001000");
  assert.is(d.message.properties![Prop.originQueueId], "5");
  assert.is(d.message.properties![Prop.timerQueueOffset], undefined);
  const clamped = decideSendBack({ consumerGroup: "billing", brokerGroup: "broker-a", record: stored({ topic: retryTopic("billing"), properties: { ...props, [Prop.reconsumeTimes]: "15" } }), levels: 6 });
  assert.is(clamped.delayLevel, 6);
});

decide("past maxReconsumeTimes, or asked with delayLevel -1, it goes to the DLQ", () => {
  const retry = stored({ topic: retryTopic("billing"), properties: { [Prop.retryTopic]: "orders", [Prop.reconsumeTimes]: "2" } });
  const past = decideSendBack({ consumerGroup: "billing", brokerGroup: "broker-a", record: retry, maxReconsumeTimes: 2, levels: 18 });
  assert.is(past.outcome, "dlq");
  assert.is(past.reason, "max-reconsume-times");
  assert.is(past.message.topic, dlqTopic("billing"));
  assert.is(past.reconsumeTimes, 3);
  assert.is(past.originTopic, "orders");
  assert.is(decideSendBack({ consumerGroup: "billing", brokerGroup: "broker-a", record: retry, maxReconsumeTimes: 3, levels: 18 }).outcome, "retry");
  const asked = decideSendBack({ consumerGroup: "billing", brokerGroup: "broker-a", record: stored(), delayLevel: -1, levels: 18 });
  assert.is(asked.outcome, "dlq");
  assert.is(asked.reason, "requested");
});

decide("a producer's own RECONSUME_TIME and origin properties are not believed outside the group's retry topic", () => {
  const forged = stored({ properties: { [Prop.reconsumeTimes]: "99", [Prop.retryTopic]: "elsewhere", [Prop.originMsgId]: "x:0000000000000001" } });
  const d = decideSendBack({ consumerGroup: "billing", brokerGroup: "broker-a", record: forged, maxReconsumeTimes: 2, levels: 18 });
  assert.is(d.outcome, "retry");
  assert.is(d.reconsumeTimes, 1);
  assert.is(d.originTopic, "orders");
  assert.is(d.originMsgId, encodeMsgId("broker-a", 4096));
  // another group's retry topic counts as a first attempt for this group
  const other = decideSendBack({ consumerGroup: "billing", brokerGroup: "broker-a", record: stored({ topic: retryTopic("audit"), properties: { [Prop.reconsumeTimes]: "7" } }), levels: 18 });
  assert.is(other.reconsumeTimes, 1);
});

decide.run();

const read = suite("a handed-back message as the consumer reads it");

function reply(ms: PutMessage[]): Buffer {
  const sizes = ms.map(encodedSize);
  const buf = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  ms.forEach((m, i) => {
    encodeRecord(buf, at, sizes[i]!, m, 1, 8192 + at, i, 1_700_000_000_000);
    at += sizes[i]!;
  });
  return buf;
}

read("a retry-topic record shows its original topic, attempts and origin; a plain one gains nothing", () => {
  const [retried, dead, plain] = decodeRecords(reply([
    { topic: retryTopic("billing"), queueId: 0, body: Buffer.from("a"), properties: { [Prop.retryTopic]: "orders", [Prop.reconsumeTimes]: "2", [Prop.originMsgId]: "broker-a:0000000000000010", [Prop.originQueueId]: "3" } },
    { topic: dlqTopic("billing"), queueId: 0, body: Buffer.from("b"), properties: { [Prop.retryTopic]: "orders", [Prop.reconsumeTimes]: "3" } },
    { topic: "orders", queueId: 1, body: Buffer.from("c"), properties: { color: "red" } },
  ]), "broker-a");
  assert.is(retried!.topic, "orders");
  assert.is(retried!.reconsumeTimes, 2);
  assert.is(retried!.originTopic, "orders");
  assert.is(retried!.originMsgId, "broker-a:0000000000000010");
  assert.is(retried!.originQueueId, 3);
  // a DLQ record keeps its topic (rbus dlq show reads it as it is), with the origin beside it
  assert.is(dead!.topic, dlqTopic("billing"));
  assert.is(dead!.originTopic, "orders");
  assert.equal(Object.keys(plain!).filter((k) => k.startsWith("origin") || k === "reconsumeTimes"), []);
});

read.run();
