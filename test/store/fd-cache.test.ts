// Bounded file descriptors: segment files open lazily through one CLOCK
// cache per store, a pinned file is never closed under an fsync, and a
// dirty file evicted before its fsync is still synced at the next flush.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { FdCache, type CachedFile } from "../../src/store/fd-cache.js";
import { MessageStore } from "../../src/store/message-store.js";
import { PutStatus } from "../../src/store/status.js";
import { failFs } from "./fault-fs.js";
import { msg, removeDir, tempDir } from "./helpers.js";

let dir = "";
const file = (name: string): CachedFile => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, name);
  return { path: p, fd: -1, used: false, pins: 0, slot: -1 };
};
const fdPath = (fd: number) => fs.readlinkSync(`/proc/self/fd/${fd}`);

const cache = suite("FdCache");
cache.before.each(() => void (dir = tempDir()));
cache.after.each(() => removeDir(dir));

cache("never holds more than its capacity; a closed file reopens on use", () => {
  const c = new FdCache(4);
  const files = Array.from({ length: 10 }, (_, i) => file(`f${i}`));
  for (const f of files) {
    const fd = c.fd(f);
    assert.is(fdPath(fd), f.path);
    assert.ok(c.openCount <= 4);
  }
  assert.is(files.filter((f) => f.fd >= 0).length, 4);
  const first = files[0]!;
  assert.is(first.fd, -1, "the oldest was evicted");
  const buf = Buffer.alloc(2);
  fs.readSync(c.fd(first), buf, 0, 2, 0);
  assert.is(buf.toString(), "f0");
  c.closeAll();
  assert.is(c.openCount, 0);
});

cache("a recently used file gets a second chance; a pinned one is never evicted", () => {
  const c = new FdCache(3);
  const [a, b, d, e] = ["a", "b", "d", "e"].map(file) as [CachedFile, CachedFile, CachedFile, CachedFile];
  c.pin(a);
  c.fd(b);
  c.fd(d);
  for (const f of [a, b, d]) f.used = false;
  c.fd(d); // used again since the hand last passed
  c.fd(e);
  assert.ok(a.fd >= 0, "pinned");
  assert.ok(d.fd >= 0, "recently used");
  assert.is(b.fd, -1, "neither pinned nor used: evicted");
  c.unpin(a);
  c.closeAll();
});

cache("out of fds (EMFILE): half are closed, the bound drops, and the open succeeds", () => {
  let shrunk = -1;
  const c = new FdCache(100, (n) => (shrunk = n));
  const files = Array.from({ length: 20 }, (_, i) => file(`g${i}`));
  for (const f of files) c.fd(f);
  for (const f of files) f.used = false;
  const restore = failFs("openSync", "EMFILE", (call) => call === 1);
  try {
    const extra = file("extra");
    assert.ok(c.fd(extra) >= 0);
  } finally {
    restore();
  }
  assert.is(shrunk, 10);
  assert.is(c.capacity, 10);
  assert.ok(c.openCount <= 11);
  c.closeAll();
});

const store = suite("store fds");
store.before.each(() => void (dir = tempDir()));
store.after.each(() => removeDir(dir));

store("thousands of queues with maxOpenFiles 64: at most 64 open, every message readable after a flush", async () => {
  const synced: string[] = [];
  const s = await MessageStore.open(dir, {
    segmentBytes: 1 << 20, maxOpenFiles: 64,
    fsync: async (fd) => void synced.push(fdPath(fd)),
  });
  const batch = Array.from({ length: 2000 }, (_, q) => msg("many", q, `body-${q}`));
  const r = await s.put(batch);
  assert.is(r.status, PutStatus.PUT_OK);
  assert.ok(s.stats().openFiles <= 64, `open files ${s.stats().openFiles}`);
  await s.flush();
  // every queue file was written and evicted before the flush: each is reopened and synced
  const cqSynced = new Set(synced.filter((p) => p.includes("/consumequeue/many/")));
  assert.is(cqSynced.size, 2000);
  for (const q of [0, 1, 999, 1999]) assert.equal(s.get("many", q, 0, 10).messages.map((m) => m.body.toString()), [`body-${q}`]);
  assert.ok(s.stats().openFiles <= 64);
  await s.close();
  const again = await MessageStore.open(dir, { maxOpenFiles: 64 });
  assert.is(again.stats().messages, 2000);
  assert.is(again.get("many", 1234, 0, 1).messages[0]?.body.toString(), "body-1234");
  await again.close();
});

cache.run();
store.run();
