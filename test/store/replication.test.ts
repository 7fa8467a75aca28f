import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { MessageStore } from "../../src/store/message-store.js";
import { AppendRawStatus } from "../../src/store/status.js";
import * as fs from "node:fs";
import * as path from "node:path";
import { commitLogFiles, many, msg, removeDir, tempDir } from "./helpers.js";

let a = "";
let b = "";
const repl = suite("readRaw / appendRaw / truncateTo");
repl.before.each(() => void ((a = tempDir()), (b = tempDir())));
repl.after.each(() => (removeDir(a), removeDir(b)));

async function catchUp(master: MessageStore, slave: MessageStore): Promise<number> {
  let rounds = 0;
  while (slave.maxPhysicalOffset < master.maxPhysicalOffset) {
    const bytes = master.readRaw(slave.maxPhysicalOffset, 1000);
    const r = await slave.appendRaw(bytes);
    assert.is(r.status, AppendRawStatus.APPEND_OK);
    rounds++;
  }
  return rounds;
}

repl("a slave replaying the master's bytes ends with the same log, queues and keys", async () => {
  const master = await MessageStore.open(a, { segmentBytes: 4096 });
  const slave = await MessageStore.open(b, { segmentBytes: 4096 });
  const arrived: number[] = [];
  slave.onArrived((_t, _q, max) => arrived.push(max));
  await master.put(Array.from({ length: 120 }, (_, i) => msg("t", i % 2, `m${i}`, { keys: `key${i}` })));
  master.setTerm(3);
  await master.put([msg("t", 0, "term3")]);
  assert.ok(await catchUp(master, slave) > 2);
  assert.is(slave.maxPhysicalOffset, master.maxPhysicalOffset);
  for (const q of [0, 1]) {
    assert.equal(slave.queueRange("t", q), master.queueRange("t", q));
    const want = master.get("t", q, 0, 1000).messages.map((m) => [m.body.toString(), m.commitLogOffset, m.term]);
    assert.equal(slave.get("t", q, 0, 1000).messages.map((m) => [m.body.toString(), m.commitLogOffset, m.term]), want);
  }
  assert.is(slave.queryByKey("t", "key77", 1)[0]?.body.toString(), "m77");
  assert.ok(arrived.length > 0);
  await master.close();
  await slave.close();
});

repl("a slave copies a master's gap records and kept offsets: same ids, same queue offsets", async () => {
  let master = await MessageStore.open(a, { segmentBytes: 4096 });
  const sent = (await master.put(many("t", 0, 40))).results;
  await master.flush(); // the queue's entries reach its file; then the disk loses the log's end
  master.simulateCrash();
  const seg = commitLogFiles(a).at(-1)!;
  fs.truncateSync(path.join(a, "commitlog", seg), sent.at(-3)!.commitLogOffset - Number(seg) + 7);
  master = await MessageStore.open(a, { segmentBytes: 4096 });
  assert.ok(master.recovery.gapFilled !== null);
  const next = (await master.put([msg("t", 0, "after")])).results[0]!;
  assert.is(next.queueOffset, 40);
  const slave = await MessageStore.open(b, { segmentBytes: 4096 });
  await catchUp(master, slave);
  assert.equal(slave.queueRange("t", 0), master.queueRange("t", 0));
  assert.is(slave.lookup(next.commitLogOffset)?.body.toString(), "after");
  assert.is(slave.get("t", 0, 40, 1).messages[0]?.commitLogOffset, next.commitLogOffset);
  assert.is(slave.lookup(sent.at(-1)!.commitLogOffset), undefined, "a lost id names nothing on the slave either");
  await master.close();
  await slave.close();
});

repl("appendRaw refuses corrupt bytes and bytes not at this log's end, appending nothing", async () => {
  const master = await MessageStore.open(a, { segmentBytes: 4096 });
  const slave = await MessageStore.open(b, { segmentBytes: 4096 });
  await master.put(many("t", 0, 10));
  const bytes = Buffer.from(master.readRaw(0, 1 << 20));
  const bad = Buffer.from(bytes);
  bad[bad.length - 1]! ^= 1;
  assert.is((await slave.appendRaw(bad)).status, AppendRawStatus.CORRUPT);
  assert.is(slave.maxPhysicalOffset, 0);
  assert.is((await slave.appendRaw(bytes)).status, AppendRawStatus.APPEND_OK);
  assert.is((await slave.appendRaw(bytes)).status, AppendRawStatus.OFFSET_MISMATCH, "same bytes twice");
  assert.is(slave.queueRange("t", 0).max, 10);
  await master.close();
  await slave.close();
});

repl("truncateTo drops an uncommitted tail from the log and every queue", async () => {
  const s = await MessageStore.open(a, { segmentBytes: 4096 });
  await s.put(many("t", 0, 30));
  const tail = await s.put([...many("t", 0, 30, "x"), ...many("u", 1, 5)]);
  const cut = tail.results[0]!.commitLogOffset;
  assert.throws(() => s.truncateTo(cut + 1), /record boundary/);
  s.truncateTo(cut);
  assert.is(s.maxPhysicalOffset, cut);
  assert.equal(s.queueRange("t", 0), { min: 0, max: 30 });
  assert.equal(s.queueRange("u", 1), { min: 0, max: 0 });
  const again = await s.put([msg("t", 0, "new")]);
  assert.equal([again.results[0]!.queueOffset, again.results[0]!.commitLogOffset], [30, cut]);
  await s.close();
  const reopened = await MessageStore.open(a, { segmentBytes: 4096 });
  assert.is(reopened.get("t", 0, 30, 1).messages[0]?.body.toString(), "new");
  assert.equal(reopened.queueRange("u", 1), { min: 0, max: 0 });
  await reopened.close();
});

repl.run();
