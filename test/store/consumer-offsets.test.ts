import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConsumerOffsets } from "../../src/store/consumer-offsets.js";
import { MessageStore } from "../../src/store/message-store.js";
import { removeDir, tempDir } from "./helpers.js";

let dir = "";
const offsets = suite("ConsumerOffsets");
offsets.before.each(() => void (dir = tempDir()));
offsets.after.each(() => removeDir(dir));

offsets("commit, get, and persist with temp-then-rename", () => {
  const o = ConsumerOffsets.open(dir);
  o.commit("g1", "t", 0, 5);
  o.commit("g1", "t", 1, 7);
  o.commit("g2", "t", 0, 1);
  assert.is(o.get("g1", "t", 1), 7);
  assert.is(o.get("g1", "t", 9), undefined);
  assert.equal([...o.forTopic("g1", "t")], [[0, 5], [1, 7]]);
  o.persist();
  const file = path.join(dir, "config", "consumerOffsets.json");
  assert.ok(fs.existsSync(file));
  assert.not.ok(fs.existsSync(`${file}.tmp`));
  assert.is(ConsumerOffsets.open(dir).get("g2", "t", 0), 1);
});

offsets("snapshot is a copy; load replaces the table", () => {
  const o = ConsumerOffsets.open(dir);
  o.commit("g", "t", 0, 3);
  const snap = o.snapshot();
  o.commit("g", "t", 0, 4);
  assert.is(snap.g?.t?.["0"], 3);
  const other = tempDir();
  const slave = ConsumerOffsets.open(other);
  slave.load(snap);
  assert.is(slave.get("g", "t", 0), 3);
  removeDir(other);
});

offsets("the store persists offsets on close", async () => {
  const s = await MessageStore.open(dir);
  s.offsets.commit("g", "t", 2, 42);
  await s.close();
  const again = await MessageStore.open(dir);
  assert.is(again.offsets.get("g", "t", 2), 42);
  await again.close();
});

offsets.run();
