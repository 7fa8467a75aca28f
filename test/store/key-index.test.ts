import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { KeyIndex, MAX_PER_QUERY } from "../../src/store/key-index.js";
import { removeDir, tempDir } from "./helpers.js";

const keys = suite("KeyIndex");
let dir = "";
keys.before.each(() => void (dir = tempDir()));
keys.after.each(() => removeDir(dir));

function opened(opts: ConstructorParameters<typeof KeyIndex>[1] = {}): KeyIndex {
  const k = new KeyIndex(dir, opts);
  k.load();
  return k;
}

keys("space-separated keys each map to the record; topics are separate", () => {
  const k = opened();
  k.add("a", "x y", 10);
  k.add("a", "x", 20);
  k.add("b", "x", 30);
  k.add("a", "  ", 40); // no key at all
  assert.equal(k.get("a", "x"), [10, 20]);
  assert.equal(k.get("a", "y"), [10]);
  assert.equal(k.get("b", "x"), [30]);
  assert.equal(k.get("a", "z"), []);
  assert.equal(k.get("a", ""), []);
  assert.is(k.size, 4);
  k.abandon();
});

keys("a lookup returns the newest MAX_PER_QUERY offsets of a key", () => {
  const k = opened();
  for (let i = 0; i < 100; i++) k.add("a", "hot", i * 10);
  const got = k.get("a", "hot", 1000);
  assert.is(got.length, MAX_PER_QUERY);
  assert.is(got.at(-1), 990);
  assert.is(got[0], (100 - MAX_PER_QUERY) * 10);
  k.abandon();
});

keys("close and reopen: every key found, and the covered offset is the one flushed", () => {
  const k = opened();
  k.add("a", "one ключ", 5);
  k.add("a", "one", 2 ** 40);
  k.close(2 ** 40 + 100);
  const l = new KeyIndex(dir);
  assert.is(l.load(), 2 ** 40 + 100);
  assert.equal(l.get("a", "one"), [5, 2 ** 40]);
  assert.equal(l.get("a", "ключ"), [5]);
  l.abandon();
  removeDir(dir);
  const none = new KeyIndex(dir);
  assert.is(none.load(), -1, "no file");
  assert.equal(none.loadProblem?.problem, "missing");
  none.abandon();
});

keys("cutFrom drops the entries at and after the cut, written or buffered, and what they replaced is found again", () => {
  const k = opened({ slots: 4 });
  for (let i = 0; i < 50; i++) k.add("a", `k${i % 5}`, i * 100);
  k.flush(2500); // half written...
  for (let i = 50; i < 80; i++) k.add("a", `k${i % 5}`, i * 100); // ...half buffered
  k.cutFrom(3000);
  assert.is(k.size, 30);
  assert.equal(k.get("a", "k0"), [0, 500, 1000, 1500, 2000, 2500]);
  k.add("a", "k0", 3000);
  assert.equal(k.get("a", "k0").at(-1), 3000);
  k.abandon();
  const again = new KeyIndex(dir, { slots: 4 });
  assert.is(again.load(), 3000, "the cut wrote a header covering only up to it");
  assert.equal(again.get("a", "k0"), [0, 500, 1000, 1500, 2000, 2500]);
  again.abandon();
});

keys.run();
