// putEncoded stores a producer-encoded batch (RBB2) as the bytes it came in,
// sealed in place: the log must end up byte for byte as put() of the same
// messages leaves it, and a refused batch must leave no trace.
import * as fs from "node:fs";
import * as path from "node:path";
import * as assert from "uvu/assert";
import { frameRecordBatch } from "../../src/protocol/record-batch.js";
import { walkRecordBatch } from "../../src/protocol/record-batch-walk.js";
import { MessageStore } from "../../src/store/message-store.js";
import { GetStatus, PutStatus } from "../../src/store/status.js";
import type { UnsealedMessage } from "../../src/store/record.js";
import type { PutMessage } from "../../src/store/types.js";
import { suite } from "../harness/suite.js";
import { failFs } from "./fault-fs.js";
import { commitLogFiles, manualClock, msg, removeDir, tempDir } from "./helpers.js";

const test = suite<{ a: string; b: string }>("putEncoded");
test.before.each((ctx) => {
  ctx.a = tempDir();
  ctx.b = tempDir();
});
test.after.each(({ a, b }) => {
  removeDir(a);
  removeDir(b);
});

const clock = manualClock();
const open = (dir: string, o = {}) => MessageStore.open(dir, { segmentBytes: 4096, term: 3, now: clock.now, ...o });
const batchOf = (messages: UnsealedMessage[]) => walkRecordBatch(frameRecordBatch(messages));

function logBytes(dir: string): Buffer {
  return Buffer.concat(commitLogFiles(dir).map((f) => fs.readFileSync(path.join(dir, "commitlog", f))));
}

const mixed = (): PutMessage[] => [
  msg("orders", 0, "first", { tags: "new", keys: "k1 k2", properties: { trace: "t-1", __proto__x: "p" } }),
  msg("orders", 1, "second", { bornTimestamp: 1_650_000_000_000, flags: 4 }),
  msg("audit", 0, "third", { tags: "new" }),
  msg("orders", 0, "fourth", { keys: "k3" }),
];

test("the log holds exactly what put() of the same messages writes", async ({ a, b }) => {
  const byPut = await open(a);
  const byEncoded = await open(b);
  const p = await byPut.put(mixed(), { atomic: true });
  const e = await byEncoded.putEncoded(batchOf(mixed()));
  assert.is(e.status, PutStatus.PUT_OK);
  assert.equal(e.results, p.results);
  assert.is(e.end, p.end);
  assert.ok(logBytes(b).equals(logBytes(a)), "the same bytes on disk");
  await byPut.close();
  await byEncoded.close();
});

test("records read back by get, by key and by tag, with queue offsets per topic and queue", async ({ b }) => {
  const s = await open(b);
  const r = await s.putEncoded(batchOf(mixed()));
  assert.equal(r.results.map((x) => x.queueOffset), [0, 0, 0, 1]);
  const q0 = s.get("orders", 0, 0, 10);
  assert.is(q0.status, GetStatus.FOUND);
  assert.equal(q0.messages.map((m) => m.body.toString()), ["first", "fourth"]);
  const first = q0.messages[0]!;
  assert.equal(first.properties, { trace: "t-1", __proto__x: "p" });
  assert.is(first.tags, "new");
  assert.is(first.bornTimestamp, clock.now(), "no born time: the store's clock");
  assert.is(s.get("orders", 1, 0, 10).messages[0]!.bornTimestamp, 1_650_000_000_000);
  assert.equal(s.queryByKey("orders", "k2", 10).map((m) => m.body.toString()), ["first"]);
  assert.equal(s.get("audit", 0, 0, 10).messages.map((m) => m.body.toString()), ["third"]);
  await s.close();
});

test("a batch that rolls to a new segment in the middle is stored whole, and the same as put() stores it", async ({ a, b }) => {
  const big = () => Array.from({ length: 12 }, (_, i) => msg("roll", i % 2, `${i}`.padEnd(600, "x")));
  const byPut = await open(a);
  const byEncoded = await open(b);
  await byPut.put(big(), { atomic: true });
  const r = await byEncoded.putEncoded(batchOf(big()));
  assert.is(r.status, PutStatus.PUT_OK);
  const offsets = r.results.map((x) => x.commitLogOffset);
  assert.ok(offsets.some((o, i) => i > 0 && o !== offsets[i - 1]! + (offsets[1]! - offsets[0]!)), "positions are not contiguous across the roll");
  assert.ok(commitLogFiles(b).length >= 2, "more than one segment");
  assert.ok(logBytes(b).equals(logBytes(a)));
  assert.equal(byEncoded.get("roll", 1, 0, 10).messages.map((m) => m.body.toString().slice(0, 2)), ["1x", "3x", "5x", "7x", "9x", "11"]);
  await byPut.close();
  await byEncoded.close();
});

test("records stored without a flush survive a crash and are recovered on open", async ({ b }) => {
  const s = await open(b);
  await s.putEncoded(batchOf(mixed()));
  s.simulateCrash();
  const again = await open(b);
  assert.equal(again.get("orders", 0, 0, 10).messages.map((m) => m.body.toString()), ["first", "fourth"]);
  assert.equal(again.queryByKey("orders", "k3", 10).map((m) => m.body.toString()), ["fourth"]);
  const next = await again.putEncoded(batchOf([msg("orders", 0, "fifth")]));
  assert.is(next.results[0]!.queueOffset, 2);
  await again.close();
});

test("a record over the store's limit refuses the batch: nothing stored, no queue offset used", async ({ b }) => {
  const s = await open(b, { maxMessageBytes: 1000 });
  const end = s.stats().maxOffset;
  const r = await s.putEncoded(batchOf([msg("t", 0, "ok"), msg("t", 0, "x".repeat(1000)), msg("t", 1, "ok")]));
  assert.is(r.status, PutStatus.MESSAGE_TOO_LARGE);
  assert.ok(r.results.every((x) => x.status === PutStatus.MESSAGE_TOO_LARGE && x.queueOffset === -1 && x.commitLogOffset === -1));
  assert.is(r.end, -1);
  assert.is(s.stats().maxOffset, end);
  assert.equal(s.queueRange("t", 0), { min: 0, max: 0 });
  const after = await s.putEncoded(batchOf([msg("t", 0, "later")]));
  assert.is(after.results[0]!.queueOffset, 0, "the refused batch took no queue offset");
  await s.close();
});

test("a queue left unpicked (ANY_QUEUE) is MESSAGE_ILLEGAL and stores nothing", async ({ b }) => {
  const s = await open(b);
  const r = await s.putEncoded(batchOf([msg("t", 0, "ok"), { topic: "t", body: Buffer.from("any") }]));
  assert.is(r.status, PutStatus.MESSAGE_ILLEGAL);
  assert.is(s.queueRange("t", 0).max, 0);
  await s.close();
});

test("a deleted topic's queues go on where they ended", async ({ b }) => {
  const s = await open(b);
  await s.putEncoded(batchOf([msg("gone", 0, "a"), msg("gone", 0, "b")]));
  await s.deleteTopic("gone");
  const r = await s.putEncoded(batchOf([msg("gone", 0, "c")]));
  assert.is(r.results[0]!.queueOffset, 2);
  assert.equal(s.get("gone", 0, 2, 10).messages.map((m) => m.body.toString()), ["c"]);
  await s.close();
});

test("ENOSPC on the commit-log write: DISK_FULL, nothing stored, and the next batch takes its place", async ({ b }) => {
  const s = await open(b);
  await s.putEncoded(batchOf([msg("t", 0, "before")]));
  const end = s.maxPhysicalOffset;
  const restore = failFs("writeSync", "ENOSPC", (call) => call === 1);
  const r = await s.putEncoded(batchOf([msg("t", 0, "x"), msg("u", 0, "y")]));
  restore();
  assert.is(r.status, PutStatus.DISK_FULL);
  assert.ok(r.results.every((x) => x.status === PutStatus.DISK_FULL && x.commitLogOffset === -1));
  assert.is(s.maxPhysicalOffset, end);
  assert.equal([s.queueRange("t", 0).max, s.queueRange("u", 0).max], [1, 0]);
  const next = await s.putEncoded(batchOf([msg("t", 0, "after")]));
  assert.equal([next.results[0]!.commitLogOffset, next.results[0]!.queueOffset], [end, 1]);
  await s.close();
});

test("a refusal by the write gate (store closed) stores nothing", async ({ b }) => {
  const s = await open(b);
  await s.close();
  const r = await s.putEncoded(batchOf([msg("t", 0, "x")]));
  assert.is(r.status, PutStatus.STORE_CLOSED);
  assert.is(r.results.length, 1);
});

test.run();
