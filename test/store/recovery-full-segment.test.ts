// A segment filled to its last byte, and the next one's first record
// damaged where its length is: the damage is reported over that record,
// and the message is read back as damaged, never dropped in silence.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { MessageStore } from "../../src/store/message-store.js";
import { FlushMode } from "../../src/store/options.js";
import { FIXED_BYTES } from "../../src/store/record.js";
import { removeDir, tempDir } from "./helpers.js";

const test = suite("recovery: damage at the start of a segment after a full one");

const SEGMENT = 2048;
const opts = { segmentBytes: SEGMENT, flush: FlushMode.sync, fsync: async () => {} };

test("zeroed length of the first record after a full segment is reported as damage over that record", async () => {
  const dir = tempDir();
  try {
    const s = await MessageStore.open(dir, opts);
    // topic "a": a record is FIXED_BYTES + 1 + body; seven of 275 bytes and one of 123 fill 2 048 exactly
    const first = [...Array.from({ length: 7 }, () => Buffer.alloc(200, 1)), Buffer.alloc(SEGMENT - 7 * 275 - FIXED_BYTES - 1, 2)];
    const put1 = await s.put(first.map((body) => ({ topic: "a", queueId: 0, body })));
    assert.is(put1.end, SEGMENT, "the first segment is full");
    const put2 = await s.put([{ topic: "a", queueId: 1, body: Buffer.from("last") }]);
    assert.is(put2.results[0]!.commitLogOffset, SEGMENT);
    await s.close();

    const second = path.join(dir, "commitlog", String(SEGMENT).padStart(20, "0"));
    const bytes = fs.readFileSync(second);
    bytes.fill(0, 0, 5);
    fs.writeFileSync(second, bytes);

    const again = await MessageStore.open(dir, opts);
    try {
      const r = again.recovery;
      assert.ok(r.damaged.every((d) => d.to > d.from), `no empty damaged range: ${JSON.stringify(r.damaged)}`);
      assert.ok(r.damaged.some((d) => d.from === SEGMENT && d.to === put2.end), `the record's bytes are reported: ${JSON.stringify(r.damaged)}`);
      assert.is(again.get("a", 0, 0, 16).messages.length, 8, "the full segment reads back whole");
    } finally {
      await again.close();
    }
  } finally {
    removeDir(dir);
  }
});

test.run();
