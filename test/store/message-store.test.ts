import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { MessageStore } from "../../src/store/message-store.js";
import { GetStatus, PutStatus } from "../../src/store/status.js";
import { tagHash } from "../../src/store/tag-hash.js";
import { manualClock, many, msg, removeDir, tempDir } from "./helpers.js";

let dir = "";
const open = (o = {}) => MessageStore.open(dir, { segmentBytes: 4096, ...o });

const put = suite("put");
put.before.each(() => void (dir = tempDir()));
put.after.each(() => removeDir(dir));

put("assigns consecutive queue offsets per (topic, queue) within and across batches", async () => {
  const s = await open();
  const r1 = await s.put([msg("a", 0, "x"), msg("a", 1, "y"), msg("a", 0, "z"), msg("b", 0, "w")]);
  assert.is(r1.status, PutStatus.PUT_OK);
  assert.equal(r1.results.map((r) => r.queueOffset), [0, 0, 1, 0]);
  const r2 = await s.put([msg("a", 0, "v")]);
  assert.is(r2.results[0]!.queueOffset, 2);
  assert.ok(r2.results[0]!.commitLogOffset > r1.results[3]!.commitLogOffset);
  assert.equal(s.queueRange("a", 0), { min: 0, max: 3 });
  assert.equal(s.queueRange("nope", 0), { min: 0, max: 0 });
  await s.close();
});

put("an oversize message is refused without being stored; the rest of the batch is", async () => {
  const s = await open({ maxMessageBytes: 1000 });
  const r = await s.put([msg("a", 0, "ok"), { topic: "a", queueId: 0, body: Buffer.alloc(1000) }, msg("a", 0, "ok2")]);
  assert.is(r.status, PutStatus.MESSAGE_TOO_LARGE);
  assert.equal(r.results.map((x) => x.status), [PutStatus.PUT_OK, PutStatus.MESSAGE_TOO_LARGE, PutStatus.PUT_OK]);
  assert.equal(r.results.map((x) => x.queueOffset), [0, -1, 1]);
  const g = s.get("a", 0, 0, 10);
  assert.equal(g.messages.map((m) => m.body.toString()), ["ok", "ok2"]);
  await s.close();
});

put("atomic: one message the store cannot take refuses the whole batch, and nothing is written", async () => {
  const s = await open({ maxMessageBytes: 1000 });
  const r = await s.put([msg("a", 0, "ok"), { topic: "a", queueId: 0, body: Buffer.alloc(1000) }, msg("a", 0, "ok2")], { atomic: true });
  assert.is(r.status, PutStatus.MESSAGE_TOO_LARGE);
  assert.equal([r.end, r.results.map((x) => [x.status, x.queueOffset])], [-1, [[PutStatus.MESSAGE_TOO_LARGE, -1], [PutStatus.MESSAGE_TOO_LARGE, -1], [PutStatus.MESSAGE_TOO_LARGE, -1]]]);
  assert.equal([s.stats().messages, s.queueRange("a", 0)], [0, { min: 0, max: 0 }]);
  const next = await s.put([msg("a", 0, "after")], { atomic: true });
  assert.equal([next.status, next.results[0]!.queueOffset], [PutStatus.PUT_OK, 0]);
  await s.close();
});

put("illegal topics and queue ids are refused (topics become directory names)", async () => {
  const s = await open();
  const r = await s.put([msg("../etc", 0, "x"), msg("a b", 0, "x"), msg("a", -1, "x"), msg("a", 1.5, "x")]);
  assert.ok(r.results.every((x) => x.status === PutStatus.MESSAGE_ILLEGAL));
  assert.is(s.stats().messages, 0);
  await s.close();
});

const get = suite("get");
get.before.each(() => void (dir = tempDir()));
get.after.each(() => removeDir(dir));

get("statuses at and around the queue's bounds", async () => {
  const s = await open();
  assert.is(s.get("a", 0, 0, 10).status, GetStatus.NO_MESSAGE_IN_QUEUE);
  await s.put(many("a", 0, 5));
  const found = s.get("a", 0, 1, 2);
  assert.is(found.status, GetStatus.FOUND);
  assert.equal(found.messages.map((m) => m.body.toString()), ["m1", "m2"]);
  assert.equal([found.nextOffset, found.minOffset, found.maxOffset], [3, 0, 5]);
  assert.equal([s.get("a", 0, 5, 1).status, s.get("a", 0, 5, 1).nextOffset], [GetStatus.NO_NEW_MSG, 5]);
  assert.equal([s.get("a", 0, 6, 1).status, s.get("a", 0, 6, 1).nextOffset], [GetStatus.OFFSET_OVERFLOW_ONE, 5]);
  assert.equal([s.get("a", 0, 60, 1).status, s.get("a", 0, 60, 1).nextOffset], [GetStatus.OFFSET_OVERFLOW_BADLY, 5]);
  await s.close();
});

get("maxBytes stops early but always returns one message", async () => {
  const s = await open();
  await s.put(many("a", 0, 10));
  const one = s.get("a", 0, 0, 10, { maxBytes: 1 });
  assert.is(one.messages.length, 1);
  assert.is(one.nextOffset, 1);
  const size = one.messages[0]!.size;
  const three = s.get("a", 0, 0, 10, { maxBytes: size * 3 });
  assert.is(three.messages.length, 3);
  assert.is(three.nextOffset, 3);
  await s.close();
});

get("a tag filter skips other tags; nextOffset moves past them", async () => {
  const s = await open();
  await s.put(["A", "B", "B", "A", "C"].map((t, i) => msg("a", 0, `${t}${i}`, { tags: t })));
  const onlyA = s.get("a", 0, 0, 10, { tagHashes: new Set([tagHash("A")]) });
  assert.equal(onlyA.messages.map((m) => m.body.toString()), ["A0", "A3"]);
  assert.is(onlyA.nextOffset, 5);
  const none = s.get("a", 0, 1, 10, { tagHashes: new Set([tagHash("Z")]) });
  assert.is(none.status, GetStatus.NO_MATCHED_MSG);
  assert.is(none.nextOffset, 5);
  await s.close();
});

get("messages come back intact across segments and interleaved queues", async () => {
  const s = await open();
  const sent = Array.from({ length: 200 }, (_, i) => msg("a", i % 3, `body-${i}`, { keys: `k${i}`, properties: { i: String(i) } }));
  for (let i = 0; i < sent.length; i += 32) await s.put(sent.slice(i, i + 32));
  assert.ok(s.stats().segments > 3);
  for (let q = 0; q < 3; q++) {
    const r = s.get("a", q, 0, 1000);
    const want = sent.filter((m) => m.queueId === q).map((m) => m.body.toString());
    assert.equal(r.messages.map((m) => m.body.toString()), want);
    assert.equal(r.messages.map((m) => m.queueOffset), want.map((_, i) => i));
  }
  await s.close();
});

const query = suite("lookup, queryByKey, offsetForTimestamp, onArrived");
query.before.each(() => void (dir = tempDir()));
query.after.each(() => removeDir(dir));

query("lookup by commit-log offset and by key", async () => {
  const s = await open();
  const r = await s.put([msg("a", 0, "one", { keys: "order-1 user-9" }), msg("b", 0, "two", { keys: "order-1" }), msg("a", 1, "three", { keys: "order-1" })]);
  assert.is(s.lookup(r.results[1]!.commitLogOffset)?.body.toString(), "two");
  assert.is(s.lookup(r.results[1]!.commitLogOffset + 1), undefined);
  assert.equal(s.queryByKey("a", "order-1", 10).map((m) => m.body.toString()), ["one", "three"]);
  assert.equal(s.queryByKey("a", "order-1", 1).map((m) => m.body.toString()), ["three"]);
  assert.equal(s.queryByKey("a", "user-9", 10).map((m) => m.body.toString()), ["one"]);
  assert.equal(s.queryByKey("a", "nobody", 10), []);
  await s.close();
  const again = await open();
  assert.equal(again.queryByKey("b", "order-1", 10).map((m) => m.body.toString()), ["two"], "index saved on close");
  await again.close();
});

query("offsetForTimestamp binary-searches store time", async () => {
  const clock = manualClock(1000);
  const s = await open({ now: clock.now });
  for (let i = 0; i < 10; i++) {
    await s.put([msg("a", 0, `m${i}`)]);
    clock.advance(100); // message i stored at 1000 + 100 i
  }
  assert.is(s.offsetForTimestamp("a", 0, 0), 0);
  assert.is(s.offsetForTimestamp("a", 0, 1000), 0);
  assert.is(s.offsetForTimestamp("a", 0, 1001), 1);
  assert.is(s.offsetForTimestamp("a", 0, 1500), 5);
  assert.is(s.offsetForTimestamp("a", 0, 1900), 9);
  assert.is(s.offsetForTimestamp("a", 0, 5000), 10);
  await s.close();
});

query("onArrived fires once per grown queue with its new max, before put resolves", async () => {
  const s = await open();
  const seen: string[] = [];
  const off = s.onArrived((t, q, max) => seen.push(`${t}/${q}@${max}`));
  const p = s.put([msg("a", 0, "x"), msg("a", 0, "y"), msg("a", 1, "z")]);
  assert.equal(seen.sort(), ["a/0@2", "a/1@1"], "synchronous with the append");
  await p;
  off();
  await s.put([msg("a", 0, "w")]);
  assert.is(seen.length, 2);
  await s.close();
});

query("stats count bytes, messages and segments", async () => {
  const s = await open();
  const r = await s.put(Array.from({ length: 60 }, () => ({ topic: "a", queueId: 0, body: Buffer.alloc(100) })));
  const size = r.results[1]!.commitLogOffset - r.results[0]!.commitLogOffset;
  const st = s.stats();
  assert.is(st.messages, 60);
  assert.is(st.commitLogBytes, 60 * size);
  assert.is(st.segments, Math.ceil(60 / Math.floor(4096 / size)));
  await s.close();
});

put.run();
get.run();
query.run();
