import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { KeyIndex } from "../../src/store/key-index.js";
import { removeDir, tempDir } from "./helpers.js";

const keys = suite("KeyIndex");

keys("space-separated keys each map to the record; topics are separate", () => {
  const k = new KeyIndex();
  k.add("a", "x y", 10);
  k.add("a", "x", 20);
  k.add("b", "x", 30);
  assert.equal(k.get("a", "x"), [10, 20]);
  assert.equal(k.get("a", "y"), [10]);
  assert.equal(k.get("b", "x"), [30]);
  assert.equal(k.get("a", "z"), []);
});

keys("bounded: oldest keys evicted, newest offsets kept per key, replays do not duplicate", () => {
  const k = new KeyIndex(2, 3);
  k.add("a", "k1", 1);
  k.add("a", "k2", 2);
  k.add("a", "k3", 3);
  assert.equal(k.get("a", "k1"), []);
  assert.is(k.size, 2);
  for (const o of [10, 20, 30, 40]) k.add("a", "k3", o);
  assert.equal(k.get("a", "k3"), [20, 30, 40]);
  k.add("a", "k3", 30); // replay from an earlier offset
  assert.equal(k.get("a", "k3"), [20, 30]);
});

keys("eviction keeps taking the oldest key after many evictions and removals", () => {
  const k = new KeyIndex(3, 4);
  for (let i = 1; i <= 10; i++) k.add("a", `k${i}`, i);
  assert.equal([8, 9, 10].map((i) => k.get("a", `k${i}`)), [[8], [9], [10]]);
  assert.equal(k.get("a", "k7"), []);
  k.remove("a", "k9", 9);
  k.add("a", "k11", 11); // room again: nothing evicted
  k.add("a", "k12", 12); // full: the oldest left (k8) goes
  assert.equal(k.get("a", "k8"), []);
  assert.equal([10, 11, 12].map((i) => k.get("a", `k${i}`)), [[10], [11], [12]]);
  assert.is(k.size, 3);
});

keys("save and load round trip with the covered offset", () => {
  const dir = tempDir();
  try {
    const k = new KeyIndex();
    k.add("a", "one ключ", 5);
    k.add("a", "one", 2 ** 40);
    k.save(dir, 12345);
    const l = new KeyIndex();
    assert.is(l.load(dir), 12345);
    assert.equal(l.get("a", "one"), [5, 2 ** 40]);
    assert.equal(l.get("a", "ключ"), [5]);
    removeDir(dir);
    assert.is(new KeyIndex().load(dir), -1, "no file");
  } finally {
    removeDir(dir);
  }
});

keys.run();
