import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { MessageStore, type StoreOptions } from "../../src/store/index.js";
import { LookupStatus } from "../../src/store/status.js";
import { verifyStore } from "../../src/store/verify.js";
import { commitLogFiles, many, msg, removeDir, tempDir } from "./helpers.js";
import { catchUp, records, ship } from "./replication-ship.js";

let dirs: string[] = [];
const dir = (i: number) => dirs[i]!;
const termsFile = (d: string) => path.join(d, "config", "terms.json");
const savedTerms = (d: string) => (JSON.parse(fs.readFileSync(termsFile(d), "utf8")) as { terms: number[][] }).terms;
const open = (i: number, o: StoreOptions = {}) => MessageStore.open(dir(i), { segmentBytes: 4096, ...o });
/** Where a cut may fall: where a record starts or ends. */
const boundaries = (s: MessageStore) => new Set(records(s).flatMap(([at, hex]) => [at, at + hex.length / 2]));

const history = suite("term history");
history.before.each(() => void (dirs = [tempDir(), tempDir(), tempDir()]));
history.after.each(() => dirs.forEach(removeDir));

history("put, startTerm and appendRaw record where each term begins; truncate and reopen keep it", async () => {
  const m = await open(0);
  assert.equal([m.lastTerm, m.terms()], [0, []]);
  await m.put(many("t", 0, 5));
  m.setTerm(2);
  const two = (await m.put(many("t", 0, 5, "b"))).results[0]!.commitLogOffset;
  const five = await m.startTerm(5);
  const fiveAt = m.maxPhysicalOffset;
  await m.put(many("t", 1, 3));
  const fiveStart = m.termStart(5)!;
  assert.equal(m.terms(), [{ term: 0, start: 0 }, { term: 2, start: two }, { term: 5, start: fiveStart }]);
  assert.is(five.end, fiveAt);
  assert.equal(savedTerms(dir(0)), [[0, 0], [2, two], [5, fiveStart]], "persisted as terms began");
  assert.is(m.endOffsetForTerm(0), two);
  assert.is(m.endOffsetForTerm(3), fiveStart, "a term this log lacks ends where the next one starts");
  assert.is(m.endOffsetForTerm(5), m.maxPhysicalOffset);
  assert.throws(() => m.setTerm(4), RangeError);

  const s = await open(1);
  await catchUp(m, s);
  assert.equal(s.terms(), m.terms(), "a slave's history follows the records it copies");

  m.truncateTo(fiveStart);
  assert.equal([m.lastTerm, savedTerms(dir(0))], [2, [[0, 0], [2, two]]]);
  m.simulateCrash();
  const again = await open(0);
  assert.equal(again.terms(), [{ term: 0, start: 0 }, { term: 2, start: two }], "after a crash");
  assert.is((await again.put([msg("t", 0, "next")])).results[0]!.commitLogOffset, fiveStart);
  assert.equal(again.get("t", 0, 10, 10).messages.map((x) => x.term), [2], "puts go on in the log's last term");
  await again.close();
  await s.close();
  const s2 = await open(1);
  assert.equal(s2.terms().map((t) => t.term), [0, 2, 5], "reopened from the file");
  await s2.close();
});

history("open drops a saved term whose record is gone, and rebuilds a missing or wrong file from the log", async () => {
  let s = await open(0, { replicated: true });
  await s.put(many("t", 0, 20));
  await s.startTerm(3);
  await s.put(many("t", 0, 20, "c"));
  const want = s.terms();
  await s.close();

  // a term written to the file before a record that never made it
  fs.writeFileSync(termsFile(dir(0)), JSON.stringify({ v: 1, terms: [...want.map((t) => [t.term, t.start]), [9, s.maxPhysicalOffset]] }));
  s = await open(0, { replicated: true });
  assert.equal(s.terms(), want);
  await s.close();

  for (const damage of [() => fs.rmSync(termsFile(dir(0))), () => fs.writeFileSync(termsFile(dir(0)), '{"v":1,"terms":[[0,0],[3,200]]}')]) {
    damage();
    s = await open(0, { replicated: true });
    assert.equal(s.terms(), want, "derived from the record headers");
    assert.equal(savedTerms(dir(0)), want.map((t) => [t.term, t.start]));
    await s.close();
  }

  // a crash that tears the new term's records off: the term goes with them
  s = await open(0, { replicated: true });
  await s.startTerm(4);
  const fourAt = s.termStart(4)!;
  await s.put(many("t", 0, 3, "d"));
  s.simulateCrash();
  const seg = commitLogFiles(dir(0)).at(-1)!;
  fs.truncateSync(path.join(dir(0), "commitlog", seg), fourAt - Number(seg) + 30);
  s = await open(0, { replicated: true });
  assert.is(s.maxPhysicalOffset, fourAt, "replicated: the torn tail is cut, not gap-filled");
  assert.equal(s.terms(), want);
  await s.close();
});

history("a single store's gap records carry the log's last term", async () => {
  let s = await open(0);
  await s.startTerm(6);
  const sent = (await s.put(many("t", 0, 30))).results;
  s.simulateCrash();
  const seg = commitLogFiles(dir(0)).at(-1)!;
  fs.truncateSync(path.join(dir(0), "commitlog", seg), sent.at(-2)!.commitLogOffset - Number(seg) + 9);
  s = await open(0);
  assert.ok(s.recovery.gapFilled);
  assert.equal(s.terms().map((t) => t.term), [6], "no lower term after a higher one");
  await s.close();
});

const diverged = suite("diverged logs");
diverged.before.each(() => void (dirs = [tempDir(), tempDir(), tempDir()]));
diverged.after.each(() => dirs.forEach(removeDir));

diverged("a deposed master cuts at a record boundary of both logs, then holds the new master's bytes", async () => {
  const a = await open(0, { replicated: true });
  const b = await open(1, { replicated: true });
  await a.startTerm(1);
  await a.put(many("t", 0, 40));
  await catchUp(a, b);
  const common = a.maxPhysicalOffset;
  await a.put(many("t", 0, 7, "lost")); // never reached b
  await b.startTerm(2);
  await b.put([...many("t", 0, 5, "new"), ...many("u", 3, 2)]);

  const cut = b.endOffsetForTerm(a.lastTerm);
  assert.is(cut, common);
  assert.ok(boundaries(a).has(cut) && boundaries(b).has(cut), "a record boundary in both");
  assert.is(await ship(b, a), "truncated");
  assert.is(a.maxPhysicalOffset, common);
  await catchUp(b, a, 300);
  assert.equal(records(a), records(b), "byte for byte");
  assert.equal(a.terms(), b.terms());
  assert.equal(a.queueRange("u", 3), { min: 0, max: 0 }, "not committed yet");
  a.setCommitOffset(a.maxPhysicalOffset);
  assert.equal(a.get("t", 0, 40, 10).messages.map((m) => m.body.toString()), ["new0", "new1", "new2", "new3", "new4"]);
  await a.close();
  await b.close();
});

diverged("a slave whose last term the master lacks drops that term, then cuts where the common term ends", async () => {
  const [x, y, z] = await Promise.all([0, 1, 2].map((i) => open(i, { replicated: true })));
  await x!.startTerm(1);
  await x!.put(Array.from({ length: 30 }, (_, i) => msg("t", 0, `x${i}`.padEnd(37, "."))));
  // y and z got only the first part of term 1
  for (const s of [y!, z!]) await s.appendRaw(x!.readRaw(0, 700));
  await y!.startTerm(2);
  await y!.put(Array.from({ length: 12 }, (_, i) => msg("t", 0, `y${i}`.padEnd(50, "-"))));
  await x!.startTerm(3);
  await x!.put(many("t", 0, 3, "x3-"));
  await y!.startTerm(4);
  await y!.put(many("t", 0, 3, "y4-"));

  // Kafka's rule in byte offsets would cut x at min(y's end of term 2, x's end of term 2): inside one of x's records
  const naive = Math.min(y!.endOffsetForTerm(2), x!.endOffsetForTerm(2));
  assert.not.ok(boundaries(x!).has(naive), `precondition: ${naive} is inside a record of x`);
  const first = x!.truncationPoint(2, y!.endOffsetForTerm(2));
  assert.is(first, x!.termStart(3), "x drops its term 3, which y never had");
  assert.is(await ship(y!, x!), "truncated");
  assert.is(x!.lastTerm, 1);
  assert.is(await ship(y!, x!), "truncated");
  assert.is(x!.maxPhysicalOffset, y!.termStart(2), "then cuts where y's term 1 ends");
  await catchUp(y!, x!);
  assert.equal(records(x!), records(y!));
  await catchUp(y!, z!);
  assert.equal(records(z!), records(y!));
  for (const s of [x!, y!, z!]) await s.close();
});

diverged("a term whose first record opened a new segment: the term before ends where its records end", async () => {
  // 75-byte messages and an 85-byte term-start record: the master's term record rolls past a tail the old master filled
  const o = { segmentBytes: 75 * 10 + 80, replicated: true };
  const a = await MessageStore.open(dir(0), o);
  const b = await MessageStore.open(dir(1), o);
  await a.put(many("t", 0, 10, "").map((m) => ({ ...m, body: Buffer.alloc(0) })));
  await catchUp(a, b);
  const common = a.maxPhysicalOffset;
  await a.put([{ topic: "t", queueId: 0, body: Buffer.alloc(0) }]);
  assert.ok(a.maxPhysicalOffset < o.segmentBytes, "the old master's last record fits the segment's tail");
  await b.startTerm(2);
  assert.equal([b.termStart(2), b.endOffsetForTerm(0)], [common, common], "term 2 begins at the log's end, not at its record's offset");
  assert.is(await ship(b, a), "truncated");
  assert.is(a.maxPhysicalOffset, common);
  await catchUp(b, a);
  assert.equal(records(a), records(b));
  await a.close();
  await b.close();
});

const control = suite("term-start record");
control.before.each(() => void (dirs = [tempDir(), tempDir(), tempDir()]));
control.after.each(() => dirs.forEach(removeDir));

control("is in no queue or index, answers NOT_FOUND by id, and replicates and recovers like any record", async () => {
  const m = await open(0);
  const start = await m.startTerm(3);
  const termAt = m.termStart(3)!;
  const put = await m.put([msg("t", 0, "first", { keys: "k1" })]);
  assert.is(put.results[0]!.queueOffset, 0);
  assert.is(put.results[0]!.commitLogOffset, start.end);
  assert.equal(m.get("t", 0, 0, 10).messages.map((x) => x.body.toString()), ["first"]);
  assert.is(m.lookupStatus(termAt).status, LookupStatus.NOT_FOUND);
  assert.is(m.stats().messages, 1);
  assert.is(m.stats().queues, 1, "no queue for %RBUS_TERM%");
  const s = await open(1);
  await catchUp(m, s);
  assert.equal(records(s), records(m));
  assert.is(s.lastTerm, 3);
  assert.equal(s.get("t", 0, 0, 10).messages.map((x) => x.body.toString()), ["first"]);
  assert.is(s.stats().queues, 1);
  s.simulateCrash();
  const again = await open(1);
  assert.equal([again.recovery.damaged.length, again.recovery.tornTail], [0, null]);
  assert.is(again.queryByKey("t", "k1", 5).length, 1);
  await again.close();
  await m.close();
  for (const d of [dir(0), dir(1)]) assert.ok(verifyStore(d).clean, `${d} verifies`);
});

history.run();
diverged.run();
control.run();
