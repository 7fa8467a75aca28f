// rbus store verify: finds what recovery would find, changes nothing, exits 1 on damage.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { MessageStore } from "../../src/store/message-store.js";
import { verifyStore } from "../../src/store/verify.js";
import { runRbus } from "../harness/processes.js";
import { many, removeDir, tempDir } from "./helpers.js";

let dir = "";
const open = () => MessageStore.open(dir, { segmentBytes: 16 << 10 });
const snapshot = () =>
  fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => {
    const p = path.join(e.parentPath, e.name);
    return `${p}:${fs.readFileSync(p).toString("base64")}`;
  }).sort();

const test = suite("store verify");
test.before.each(() => void (dir = tempDir()));
test.after.each(() => removeDir(dir));

test("a clean folder: every record counted, exit 0", async () => {
  const s = await open();
  await s.put(many("a", 0, 500));
  await s.close();
  const report = verifyStore(dir);
  assert.is(report.clean, true);
  assert.is(report.records, 500);
  assert.ok(report.segments > 1, "the log rolled");
  const run = await runRbus(["store", "verify", "--data", dir]);
  assert.is(run.code, 0);
  assert.match(run.stdout, /clean: 500 records/);
});

test("damage and a torn tail: the same ranges recovery reports, files untouched, exit 1", async () => {
  const s = await open();
  const res = (await s.put(many("a", 0, 500))).results;
  await s.close();
  const victim = res[123]!.commitLogOffset;
  const seg = path.join(dir, "commitlog", String(victim - (victim % (16 << 10))).padStart(20, "0"));
  const bytes = fs.readFileSync(seg);
  bytes[(victim % (16 << 10)) + 72]! ^= 1;
  fs.writeFileSync(seg, bytes);
  const last = path.join(dir, "commitlog", fs.readdirSync(path.join(dir, "commitlog")).sort().at(-1)!);
  fs.truncateSync(last, fs.statSync(last).size - 2);
  const before = snapshot();
  const progress: number[] = [];
  const report = verifyStore(dir, (done) => progress.push(done));
  assert.equal(snapshot(), before, "verify changes nothing");
  assert.is(report.clean, false);
  assert.equal(report.damaged.map((d) => d.from), [victim]);
  assert.is(report.tornTail?.from, res[499]!.commitLogOffset);
  assert.is(progress.at(-1), report.bytes);
  const run = await runRbus(["store", "verify", "--data", dir, "--json"]);
  assert.is(run.code, 1);
  assert.equal(JSON.parse(run.stdout).damaged, report.damaged);
  const reopened = await open();
  assert.equal(reopened.recovery.damaged, report.damaged, "recovery agrees");
  assert.is(reopened.recovery.tornTail?.from, report.tornTail?.from);
  await reopened.close();
});

test("a folder a live store holds is refused unless --live, and nothing is written to it", async () => {
  // the live store's own flush would rewrite its checkpoint while the probes run: only the probes are under test
  const s = await MessageStore.open(dir, { segmentBytes: 16 << 10, flushIntervalMs: 3_600_000 });
  await s.put(many("a", 0, 50));
  await s.flush();
  const before = snapshot();
  const refused = await runRbus(["store", "verify", "--data", dir]);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, new RegExp(`in use by a running broker \\(pid ${process.pid}\\)`));
  const live = await runRbus(["store", "verify", "--data", dir, "--live"]);
  assert.is(live.code, 0, live.stderr);
  assert.equal(snapshot(), before, "the probe took no lock and wrote nothing");
  await s.close();
});

test.run();
