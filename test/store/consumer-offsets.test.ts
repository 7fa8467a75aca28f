import { suite } from "../harness/suite.js";
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

offsets("groups and topics named like Object.prototype's members are keys like any other", () => {
  const o = ConsumerOffsets.open(dir);
  for (const name of ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"]) {
    o.commit(name, name, 0, 3);
    o.commit("g", name, 1, 4);
  }
  assert.is(({} as Record<string, unknown>).orders, undefined, "Object.prototype untouched");
  assert.is(Object.getPrototypeOf({}), Object.prototype);
  assert.is(o.get("__proto__", "__proto__", 0), 3);
  assert.is(o.get("constructor", "constructor", 0), 3);
  assert.equal([...o.forTopic("g", "toString")], [[1, 4]]);
  assert.is(o.get("never", "__proto__", 0), undefined);
  o.persist();
  const back = ConsumerOffsets.open(dir);
  assert.is(back.get("__proto__", "__proto__", 0), 3, "it survives the file");
  const copy = ConsumerOffsets.open(path.join(dir, "copy"));
  copy.load(JSON.parse(JSON.stringify(back.snapshot())));
  assert.is(copy.get("__proto__", "__proto__", 0), 3, "and a slave's copy from the wire");
  assert.ok(copy.groups().includes("__proto__"));
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
