import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { MessageStore } from "../../src/store/message-store.js";
import { GetStatus } from "../../src/store/status.js";
import { commitLogFiles, manualClock, removeDir, tempDir } from "./helpers.js";

let dir = "";
const HOUR = 3600_000;
const body = (i: number) => ({ topic: "a", queueId: 0, body: Buffer.from(`m${i}`.padEnd(100, ".")) });

const retention = suite("retention");
retention.before.each(() => void (dir = tempDir()));
retention.after.each(() => removeDir(dir));

retention("old segments go by age, never the active one; reads before the new min skip forward", async () => {
  const clock = manualClock();
  const s = await MessageStore.open(dir, { segmentBytes: 4096, retentionMs: HOUR, now: clock.now, cleanIntervalMs: 1e9 });
  for (let i = 0; i < 100; i++) await s.put([body(i)]); // ~5 segments, all "now"
  clock.advance(2 * HOUR);
  for (let i = 100; i < 110; i++) await s.put([body(i)]); // fresh ones in the last segment
  const before = commitLogFiles(dir).length;
  assert.is(s.cleanExpired(), 0 + before - commitLogFiles(dir).length);
  assert.ok(before >= 4);
  const after = commitLogFiles(dir);
  assert.ok(after.length <= 2, `left: ${after}`);
  const { min, max } = s.queueRange("a", 0);
  assert.ok(min > 0 && max === 110);
  const tooSmall = s.get("a", 0, 0, 10);
  assert.equal([tooSmall.status, tooSmall.nextOffset], [GetStatus.OFFSET_TOO_SMALL, min]);
  const next = s.get("a", 0, tooSmall.nextOffset, 1000);
  assert.is(next.status, GetStatus.FOUND);
  assert.is(next.messages[0]!.body.toString().replace(/\.+$/, ""), `m${min}`);
  assert.is(next.messages.at(-1)!.queueOffset, 109);
  assert.is(s.minPhysicalOffset, Number(after[0]));
  assert.is(s.offsetForTimestamp("a", 0, 0), min);
  await s.close();
  const again = await MessageStore.open(dir, { segmentBytes: 4096, now: clock.now });
  assert.equal(again.queueRange("a", 0), { min, max: 110 }, "min survives reopen");
  await again.close();
});

retention("by total size: oldest segments go until the log fits", async () => {
  const clock = manualClock();
  const s = await MessageStore.open(dir, { segmentBytes: 4096, retentionBytes: 8192, now: clock.now });
  for (let i = 0; i < 200; i += 10) await s.put(Array.from({ length: 10 }, (_, k) => body(i + k)));
  s.cleanExpired();
  assert.ok(s.stats().commitLogBytes <= 8192);
  assert.is(s.stats().segments, 2);
  const { min } = s.queueRange("a", 0);
  const got = s.get("a", 0, min, 1000);
  assert.is(got.messages.length, 200 - min);
  await s.close();
});

retention.run();
