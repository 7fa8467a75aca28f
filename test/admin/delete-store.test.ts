// A deleted topic in the store: its consume queues and offsets go, a crash
// right after cannot bring them back from the commit log, and a queue
// created again under its name goes on from where it ended (queue offsets
// are never handed out twice).
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageStore } from "../../src/store/index.js";

const test = suite<{ dir: string }>("store: deleting a topic");
test.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-delete-"));
});
test.after.each((ctx) => {
  rmSync(ctx.dir, { recursive: true, force: true });
});

const put = (s: MessageStore, topic: string, n: number) =>
  s.put(Array.from({ length: n }, (_, i) => ({ topic, queueId: 0, body: Buffer.from(`${topic}${i}`), tags: "", keys: "k", properties: {}, bornTimestamp: Date.now() })));

test("queues and offsets go; other topics stay; a crash right after keeps them gone", async ({ dir }) => {
  const s = await MessageStore.open(dir);
  s.topics.put({ topic: "t", readQueues: 1, writeQueues: 1, perm: "rw" });
  await put(s, "t", 5);
  await put(s, "u", 3);
  s.offsets.commit("g", "t", 0, 2);
  s.offsets.commit("g", "u", 0, 1);
  assert.equal(await s.deleteTopic("t"), { deleted: true, queues: 1, offsets: 1 });
  assert.equal(s.queueRange("t", 0), { min: 0, max: 0 });
  assert.is(s.topics.get("t"), undefined);
  assert.is(s.offsets.get("g", "t", 0), undefined);
  assert.is(s.offsets.get("g", "u", 0), 1);
  s.simulateCrash();
  const again = await MessageStore.open(dir);
  assert.equal(again.queueIds("t"), [], "not rebuilt from the log");
  assert.equal(again.queueRange("u", 0), { min: 0, max: 3 });
  assert.equal(again.recovery.rebuiltQueues, []);
  await again.close();
});

test("a queue created again starts where the deleted one ended, across restarts", async ({ dir }) => {
  let s = await MessageStore.open(dir);
  await put(s, "t", 5);
  await s.deleteTopic("t");
  await s.close();
  s = await MessageStore.open(dir);
  const [first] = (await put(s, "t", 2)).results;
  assert.is(first!.queueOffset, 5, "offset 5, not 0 again");
  assert.equal(s.queueRange("t", 0), { min: 5, max: 7 });
  assert.equal(s.get("t", 0, 5, 10).messages.map((m) => m.body.toString()), ["t0", "t1"]);
  await s.close();
  s = await MessageStore.open(dir);
  assert.equal(s.queueRange("t", 0), { min: 5, max: 7 });
  await s.close();
});

test("an unknown topic: nothing changes", async ({ dir }) => {
  const s = await MessageStore.open(dir);
  assert.equal(await s.deleteTopic("nope"), { deleted: false, queues: 0, offsets: 0 });
  await s.close();
});

test.run();
