// Raw reads (a broker's binary pull): the records come back as one
// exact-size copy per read, end to end, and stay intact when later reads
// reuse the span buffer they were read through.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { MessageStore } from "../../src/store/message-store.js";
import { decodeRecord } from "../../src/store/record.js";
import { msg, removeDir, tempDir } from "./helpers.js";

const raw = suite("raw get");
let dir = "";
raw.before.each(() => void (dir = tempDir()));
raw.after.each(() => removeDir(dir));

raw("records of one of four interleaved queues: end to end in one buffer, equal to the decoded reads, kept across later reads", async () => {
  const s = await MessageStore.open(dir, { segmentBytes: 1 << 20 });
  await s.put(Array.from({ length: 4000 }, (_, i) => msg("t", i % 4, `body-${i}`.padEnd(100, "."))));
  const first = s.get("t", 1, 0, 500, { raw: true });
  const copy = first.records.map((r) => Buffer.from(r));
  for (let q = 0; q < 4; q++) s.get("t", q, 200, 800, { raw: true }); // later reads through the same span buffer
  assert.equal(first.records, copy, "earlier records untouched");
  assert.is(first.records.length, 500);
  const decoded = s.get("t", 1, 0, 500).messages;
  assert.equal(first.records.map((r) => decodeRecord(r, 0).body.toString()), decoded.map((m) => m.body.toString()));
  const base = first.records[0]!;
  let end = base.byteOffset;
  for (const r of first.records) {
    assert.ok(r.buffer === base.buffer && r.byteOffset === end, "end to end in one buffer");
    end += r.length;
  }
  assert.is(end - base.byteOffset, first.records.reduce((n, r) => n + r.length, 0), "no bytes of other queues' records");
  const budget = s.get("t", 2, 0, 1000, { raw: true, maxBytes: 10 * first.records[0]!.length });
  assert.is(budget.records.length, 10);
  assert.is(budget.nextOffset, 10);
  await s.close();
});

raw.run();
