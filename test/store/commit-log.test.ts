import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { CommitLog, placeRecord } from "../../src/store/commit-log.js";
import { encodedSize, encodeRecord } from "../../src/store/record.js";
import type { PutMessage } from "../../src/store/types.js";
import { removeDir, tempDir } from "./helpers.js";

/** Appends messages the way the store does: layout, encode into one buffer, one write. */
function append(log: CommitLog, ms: PutMessage[]): number[] {
  const sizes = ms.map(encodedSize);
  const positions: number[] = [];
  log.layout(sizes, sizes.length, positions);
  const buf = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  ms.forEach((m, i) => {
    encodeRecord(buf, at, sizes[i]!, m, 1, positions[i]!, i, 1000);
    at += sizes[i]!;
  });
  log.writeRecords(buf, positions, sizes, sizes.length);
  return positions;
}
const body = (n: number, fill = 0x61): PutMessage => ({ topic: "t", queueId: 0, body: Buffer.alloc(n, fill) });

const place = suite("placeRecord");
place("a record that does not fit starts the next segment", () => {
  assert.is(placeRecord(0, 100, 1000), 0);
  assert.is(placeRecord(900, 100, 1000), 900);
  assert.is(placeRecord(901, 100, 1000), 1000);
  assert.is(placeRecord(1000, 100, 1000), 1000);
});

const roll = suite("segment roll");
let dir = "";
roll.before.each(() => void (dir = tempDir()));
roll.after.each(() => removeDir(dir));

roll("records never straddle; files are named by 20-digit base offset", () => {
  const log = CommitLog.open(dir, 1024);
  const size = encodedSize(body(200));
  const positions = append(log, Array.from({ length: 12 }, () => body(200)));
  const perSegment = Math.floor(1024 / size);
  positions.forEach((p, i) => {
    const seg = Math.floor(i / perSegment);
    assert.is(p, seg * 1024 + (i % perSegment) * size, `record ${i}`);
    assert.is(Math.floor(p / 1024), Math.floor((p + size - 1) / 1024), `record ${i} straddles`);
  });
  const names = fs.readdirSync(path.join(dir, "commitlog")).sort();
  assert.equal(names.slice(0, 2), ["00000000000000000000", "00000000000000001024"]);
  assert.is(names.length, Math.ceil(12 / perSegment));
  for (const p of positions) assert.is(log.readRecord(p)?.commitLogOffset, p);
  assert.is(log.readRecord(positions[0]! + 1), undefined);
  log.close();
});

roll("reopening finds the same end and the same records", () => {
  const log = CommitLog.open(dir, 1024);
  const positions = append(log, Array.from({ length: 7 }, (_, i) => body(300, i)));
  const end = log.maxOffset;
  log.close();
  const again = CommitLog.open(dir, 1024);
  assert.is(again.maxOffset, end);
  assert.is(again.readRecord(positions[6]!)?.body[0], 6);
  again.close();
});

const raw = suite("readRaw / truncateTo / scan");
raw.before.each(() => void (dir = tempDir()));
raw.after.each(() => removeDir(dir));

raw("readRaw returns whole records from one segment and crosses to the next at its end", () => {
  const log = CommitLog.open(dir, 1024);
  const size = encodedSize(body(200));
  const positions = append(log, Array.from({ length: 8 }, () => body(200)));
  const first = log.readRaw(0, size * 2 + 10).bytes;
  assert.is(first.length, size * 2);
  const all = log.readRaw(0, 1 << 20).bytes;
  assert.is(all.length, Math.floor(1024 / size) * size, "stops at the segment's end");
  const next = log.readRaw(all.length, 1 << 20).bytes;
  assert.is(next.readUInt32BE(0), size);
  assert.is(positions.includes(1024), true);
  assert.is(log.readRaw(0, 1).bytes.length, size, "at least one record");
  assert.is(log.readRaw(log.maxOffset, 100).bytes.length, 0);
  log.close();
});

raw("truncateTo drops later segments and the tail; scan stops at the first bad record", () => {
  const log = CommitLog.open(dir, 1024);
  const positions = append(log, Array.from({ length: 10 }, () => body(200)));
  const cut = positions[5]!;
  log.truncateTo(cut);
  assert.is(log.maxOffset, cut);
  assert.is(log.readRecord(positions[4]!)?.commitLogOffset, positions[4]);
  assert.is(log.readRecord(cut), undefined);
  const seen: number[] = [];
  assert.is(log.scan(0, (_b, _a, off) => seen.push(off)), cut);
  assert.equal(seen, positions.slice(0, 5));
  log.close();
});

place.run();
roll.run();
raw.run();
