// One store per data folder, and the folder private to its owner.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { DataDirLockedError } from "../../src/store/data-lock.js";
import { MessageStore } from "../../src/store/message-store.js";
import { msg, removeDir, tempDir } from "./helpers.js";

let root = "";
const lock = suite("data folder lock");
lock.before.each(() => void (root = tempDir()));
lock.after.each(() => removeDir(root));

lock("a second open of a live folder fails at once, naming the holder's pid", async () => {
  const dir = path.join(root, "data");
  const first = await MessageStore.open(dir);
  const err = await MessageStore.open(dir).then(() => undefined, (e: unknown) => e);
  assert.instance(err, DataDirLockedError);
  assert.is((err as DataDirLockedError).holderPid, process.pid);
  assert.match(String(err), `pid ${process.pid}`);
  assert.is(fs.readFileSync(path.join(dir, "lock"), "utf8").trim(), String(process.pid));
  await first.close();
  assert.not.ok(fs.existsSync(path.join(dir, "lock")), "a clean close removes the pid file");
  const second = await MessageStore.open(dir);
  await second.close();
});

lock("a crash gives the folder up (as the OS does on kill -9)", async () => {
  const dir = path.join(root, "data");
  const first = await MessageStore.open(dir);
  first.simulateCrash();
  const again = await MessageStore.open(dir);
  assert.ok(again.recovery.abnormal);
  await again.close();
});

lock("a new folder that reuses a deleted one's inode is not taken for it", async () => {
  const dirs: string[] = [];
  const open: MessageStore[] = [];
  for (let i = 0; i < 20; i++) {
    const dir = path.join(root, `d${i}`);
    open.push(await MessageStore.open(dir)); // left open, as a leaked store would be
    dirs.push(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const s of open) s.simulateCrash();
});

lock("the folder is created 0700 and its files 0600", async () => {
  const dir = path.join(root, "data");
  const s = await MessageStore.open(dir, { segmentBytes: 4096 });
  await s.put([msg("t", 0, "x")]);
  s.offsets.commit("g", "t", 0, 1);
  await s.close();
  assert.is(fs.statSync(dir).mode & 0o777, 0o700);
  const walk = (d: string): string[] =>
    fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  const files = walk(dir);
  assert.ok(files.length >= 4, files.join(", "));
  for (const f of files) assert.is(fs.statSync(f).mode & 0o777, 0o600, f);
  for (const d of ["commitlog", "consumequeue", "config"]) assert.is(fs.statSync(path.join(dir, d)).mode & 0o777, 0o700, d);
});

lock("a folder left open to others (an older version, umask 022) is made private at open", async () => {
  const dir = path.join(root, "data");
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  const s = await MessageStore.open(dir);
  await s.close();
  assert.is(fs.statSync(dir).mode & 0o777, 0o700);
});

lock.run();
