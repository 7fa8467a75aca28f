// A slave checks a fetched chunk with one walk of its records' lengths
// (one CRC each, fields read in place), and a master CRC-checks the bytes
// it ships once, not once per slave.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "node:zlib";
import { crc32Range } from "../../src/store/crc32.js";
import { MessageStore } from "../../src/store/message-store.js";
import { AppendRawStatus } from "../../src/store/status.js";
import { HEADER_BYTES } from "../../src/store/record.js";
import { tagHash } from "../../src/store/tag-hash.js";
import { commitLogFiles, many, msg, removeDir, tempDir } from "../store/helpers.js";

let a = "";
let b = "";
const walk = suite("raw chunks: one walk of the lengths");
walk.before.each(() => void ((a = tempDir()), (b = tempDir())));
walk.after.each(() => (removeDir(a), removeDir(b)));

/** Re-seals the record at `at` after a test changed it (a CRC that holds over wrong fields). */
function reseal(buf: Buffer, at: number): void {
  buf.writeUInt32BE(crc32(buf.subarray(at + 12, at + buf.readUInt32BE(at))), at + 8);
}

walk("crc32Range equals zlib's crc32 of the same range, short and long", () => {
  const buf = Buffer.alloc(5000);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + 7) & 0xff;
  for (const [from, to] of [[0, 0], [3, 4], [1, 9], [12, 175], [100, 1123], [7, 1024 + 7], [0, 5000]] as const) {
    assert.is(crc32Range(buf, from, to), crc32(buf.subarray(from, to)), `[${from}, ${to})`);
  }
});

walk("a chunk of many topics, queues, tags and keys gives the slave the master's queues, tags and keys", async () => {
  const master = await MessageStore.open(a);
  const slave = await MessageStore.open(b);
  const sent = Array.from({ length: 300 }, (_, i) =>
    msg(`topic${i % 3}`, i % 5, `m${i}`, { tags: i % 2 ? "odd" : "", keys: i % 7 === 0 ? `k${i} shared` : "" }));
  await master.put(sent);
  const r = await slave.appendRaw(master.readRaw(0, 1 << 20));
  assert.is(r.status, AppendRawStatus.APPEND_OK);
  assert.is(r.count, 300);
  for (let t = 0; t < 3; t++) {
    for (let q = 0; q < 5; q++) {
      const want = master.get(`topic${t}`, q, 0, 1000).messages.map((m) => [m.body.toString(), m.queueOffset, m.tags]);
      assert.equal(slave.get(`topic${t}`, q, 0, 1000).messages.map((m) => [m.body.toString(), m.queueOffset, m.tags]), want);
    }
  }
  const odd = { tagHashes: new Set([tagHash("odd")]) };
  const oddOnSlave = slave.get("topic1", 1, 0, 1000, odd).messages.map((m) => m.body.toString());
  assert.ok(oddOnSlave.length > 0);
  assert.equal(oddOnSlave, master.get("topic1", 1, 0, 1000, odd).messages.map((m) => m.body.toString()), "the tag hashes in the slave's entries");
  assert.equal(slave.queryByKey("topic0", "k21", 5).map((m) => m.body.toString()), ["m21"]);
  assert.is(slave.queryByKey("topic2", "shared", 100).length, master.queryByKey("topic2", "shared", 100).length);
  await master.close();
  await slave.close();
});

walk("length prefixes that do not add up, or a topic that is no topic, are refused even under a good CRC", async () => {
  const master = await MessageStore.open(a);
  const slave = await MessageStore.open(b);
  await master.put([msg("t", 0, "first"), msg("t", 0, "second"), msg("u", 1, "third")]);
  const bytes = Buffer.from(master.readRaw(0, 1 << 20));
  const second = bytes.readUInt32BE(0);
  const third = second + bytes.readUInt32BE(second);

  const fields = Buffer.from(bytes);
  fields.writeUInt16BE(2, second + HEADER_BYTES + 2 + 1); // the second record's tags claim 2 bytes it does not have
  reseal(fields, second);
  assert.is((await slave.appendRaw(fields)).status, AppendRawStatus.CORRUPT);

  const name = Buffer.from(bytes);
  name[third + HEADER_BYTES + 2] = 0x2f; // "u" -> "/": the third record starts a new topic, not a valid name
  reseal(name, third);
  assert.is((await slave.appendRaw(name)).status, AppendRawStatus.CORRUPT);
  assert.is(slave.maxPhysicalOffset, 0, "nothing of either chunk appended");
  assert.is((await slave.appendRaw(bytes)).status, AppendRawStatus.APPEND_OK);
  await master.close();
  await slave.close();
});

walk("the master's second read of the same bytes skips the CRCs; bytes past them, or written after a cut, are checked", async () => {
  const master = await MessageStore.open(a, { replicated: true });
  const sent = (await master.put(many("t", 0, 20))).results;
  const first = master.readRawChecked(0, 1 << 20);
  assert.is(first.bytes.length, master.maxPhysicalOffset);
  // damage past what was read: the next read, continuing from the checked bytes, stops before it
  const more = (await master.put(many("t", 0, 5, "more"))).results;
  const seg = path.join(a, "commitlog", commitLogFiles(a)[0]!);
  const fd = fs.openSync(seg, "r+");
  fs.writeSync(fd, Buffer.from([0xee]), 0, 1, more[2]!.commitLogOffset + 70);
  const again = master.readRawChecked(0, 1 << 20);
  assert.is(again.bytes.length, more[2]!.commitLogOffset, "good bytes only, up to the damaged record");
  assert.is(master.readRawChecked(more[2]!.commitLogOffset, 1 << 20).corrupt?.offset, more[2]!.commitLogOffset);
  // a cut forgets what was checked: the records appended in its place are checked again
  master.truncateTo(sent[10]!.commitLogOffset);
  const re = (await master.put(many("t", 0, 10, "re"))).results;
  fs.writeSync(fd, Buffer.from([0xee]), 0, 1, re[1]!.commitLogOffset + 70);
  fs.closeSync(fd);
  assert.is(master.readRawChecked(0, 1 << 20).bytes.length, re[1]!.commitLogOffset);
  await master.close();
});

walk.run();
