// Random appends, random damage to the files, a clean or crashed close, a
// reopen; then every acknowledged message is read back byte for byte or
// reported as damaged, per-queue order holds, nothing is read that was
// never sent, and open never throws. RBUS_FUZZ_RUNS=<n> runs it longer;
// RBUS_FUZZ_SEED=<seed> replays a failure fast-check printed.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { MessageStore } from "../../src/store/message-store.js";
import { FlushMode } from "../../src/store/options.js";
import { GetStatus, PutStatus } from "../../src/store/status.js";
import { CQ_ENTRY_BYTES } from "../../src/store/consume-queue.js";
import type { RecoveryReport } from "../../src/store/recovery.js";
import { removeDir, tempDir } from "./helpers.js";

const SEGMENT = 2048;
const TOPICS = ["a", "b"];

interface Sent {
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  body: Buffer;
}

const messageArb = fc.record({ topic: fc.constantFrom(...TOPICS), queueId: fc.integer({ min: 0, max: 2 }), size: fc.integer({ min: 0, max: 300 }) });
const damageArb = fc.record({
  kind: fc.constantFrom("flip", "zero", "cut", "entry", "cq-zero", "cq-cut", "cq-delete"),
  file: fc.nat(),
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  len: fc.integer({ min: 1, max: 160 }),
  bit: fc.integer({ min: 0, max: 7 }),
});
const scenarioArb = fc.record({
  batches: fc.array(fc.array(messageArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
  damage: fc.array(damageArb, { maxLength: 4 }),
  crash: fc.boolean(),
  flushBeforeCrash: fc.boolean(),
  inFlight: fc.array(messageArb, { maxLength: 4 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;
type Damage = Scenario["damage"][number];

const bodyOf = (n: number, size: number) => Buffer.from(`#${n}:`.padEnd(Math.max(size, 4), String.fromCharCode(97 + (n % 26))));
const opts = { segmentBytes: SEGMENT, cqEntriesPerFile: 16, flush: FlushMode.sync, fsync: async () => {} };

function files(dir: string, sub: string): string[] {
  const root = path.join(dir, sub);
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /^\d{20}$/.test(e.name)).map((e) => path.join(e.parentPath, e.name)).sort();
}

/**
 * Commit-log files get flips, zeroed runs and cut tails. Consume-queue files
 * get a flipped offset bit in an entry, zeroed runs (whole entries or not),
 * cuts (at an entry boundary or inside an entry) and deletion.
 */
function applyDamage(dir: string, d: Damage): void {
  const cq = d.kind === "entry" || d.kind.startsWith("cq-");
  const all = files(dir, cq ? "consumequeue" : "commitlog");
  if (all.length === 0) return;
  const file = all[d.file % all.length]!;
  if (d.kind === "cq-delete") return fs.rmSync(file);
  const size = fs.statSync(file).size;
  if (size === 0) return;
  if (d.kind === "cut") return fs.truncateSync(file, Math.floor(size * d.at));
  if (d.kind === "cq-cut") {
    const entries = Math.floor((size / CQ_ENTRY_BYTES) * d.at);
    return fs.truncateSync(file, entries * CQ_ENTRY_BYTES + (d.bit < 4 ? 0 : d.len % CQ_ENTRY_BYTES));
  }
  const buf = fs.readFileSync(file);
  if (d.kind === "entry") {
    const entry = Math.floor((size / CQ_ENTRY_BYTES) * d.at);
    buf[entry * CQ_ENTRY_BYTES + (d.len % 8)]! ^= 1 << d.bit;
  } else if (d.kind === "flip") {
    buf[Math.floor(size * d.at)]! ^= 1 << d.bit;
  } else {
    const from = Math.floor(size * d.at);
    buf.fill(0, from, Math.min(size, from + d.len));
  }
  fs.writeFileSync(file, buf);
}

/** Every queue read to its end, stepping over damage as a reporting consumer does. */
function readBack(s: MessageStore, topic: string, queueId: number) {
  const read = new Map<number, Buffer>();
  const corrupt = new Set<number>();
  let last = -1;
  let offset = s.queueRange(topic, queueId).min;
  for (;;) {
    const got = s.get(topic, queueId, offset, 7);
    if (got.status === GetStatus.CORRUPT_RECORD) {
      corrupt.add(got.corrupt!.queueOffset);
      offset = got.corrupt!.nextOffset;
      continue;
    }
    if (got.status !== GetStatus.FOUND) return { read, corrupt, min: s.queueRange(topic, queueId).min };
    for (const m of got.messages) {
      assert.ok(m.queueOffset > last, `${topic}/${queueId}: offset ${m.queueOffset} read after ${last}`);
      last = m.queueOffset;
      read.set(m.queueOffset, Buffer.from(m.body));
    }
    offset = got.nextOffset;
  }
}

function reported(m: Sent, r: RecoveryReport, corrupt: Set<number>): boolean {
  if (corrupt.has(m.queueOffset)) return true;
  if (r.damaged.some((d) => m.commitLogOffset >= d.from && m.commitLogOffset < d.to)) return true;
  return r.tornTail !== null && m.commitLogOffset >= r.tornTail.from;
}

async function run(sc: Scenario): Promise<void> {
  const dir = tempDir();
  try {
    const s = await MessageStore.open(dir, opts);
    const acked: Sent[] = [];
    const sent = new Map<string, Buffer>(); // topic/queue/offset -> body, acknowledged or not
    let n = 0;
    const put = (batch: Scenario["inFlight"]) => {
      const msgs = batch.map((m) => ({ topic: m.topic, queueId: m.queueId, body: bodyOf(n++, m.size) }));
      return { msgs, done: s.put(msgs) };
    };
    const note = (msgs: { topic: string; queueId: number; body: Buffer }[], results: { status: string; queueOffset: number; commitLogOffset: number }[], ack: boolean) =>
      results.forEach((r, i) => {
        if (r.queueOffset < 0) return;
        const m = { ...msgs[i]!, queueOffset: r.queueOffset, commitLogOffset: r.commitLogOffset };
        sent.set(`${m.topic}/${m.queueId}/${m.queueOffset}`, m.body);
        if (ack && r.status === PutStatus.PUT_OK) acked.push(m);
      });
    for (const batch of sc.batches) {
      const { msgs, done } = put(batch);
      note(msgs, (await done).results, true);
    }
    let flushedTo = Infinity; // under a crash, acknowledged records past the last checkpoint may be torn
    if (sc.crash) {
      if (sc.flushBeforeCrash) await s.flush();
      flushedTo = JSON.parse(fs.readFileSync(path.join(dir, "checkpoint"), "utf8")).commitLog;
      if (sc.inFlight.length > 0) {
        const { msgs, done } = put(sc.inFlight);
        s.simulateCrash();
        note(msgs, (await done).results, false);
      } else s.simulateCrash();
    } else await s.close();

    for (const d of sc.damage) applyDamage(dir, d);
    const again = await MessageStore.open(dir, opts); // must not throw
    try {
      const r = again.recovery;
      for (const topic of TOPICS) {
        for (let q = 0; q < 3; q++) {
          const { read, corrupt } = readBack(again, topic, q);
          for (const [qo, body] of read) {
            const want = sent.get(`${topic}/${q}/${qo}`);
            assert.ok(want?.equals(body), `${topic}/${q} offset ${qo}: read a message that was never sent there`);
          }
          for (const m of acked.filter((x) => x.topic === topic && x.queueId === q)) {
            if (read.get(m.queueOffset)?.equals(m.body) || reported(m, r, corrupt)) continue;
            if (m.commitLogOffset >= flushedTo) continue;
            assert.unreachable(`${topic}/${q} offset ${m.queueOffset} (commit log ${m.commitLogOffset}) lost without a report: ${JSON.stringify(r)}`);
          }
        }
      }
    } finally {
      await again.close();
    }
  } finally {
    removeDir(dir);
  }
}

const test = suite("store fuzz");

test("every acknowledged message is read back or reported, whatever the damage", async () => {
  const numRuns = Number(process.env.RBUS_FUZZ_RUNS ?? 150);
  const seed = process.env.RBUS_FUZZ_SEED === undefined ? undefined : Number(process.env.RBUS_FUZZ_SEED);
  await fc.assert(fc.asyncProperty(scenarioArb, run), { numRuns, ...(seed === undefined ? {} : { seed }) });
});

test.run();
