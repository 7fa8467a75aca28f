// Two replicas of a group, driven by fast-check through any interleaving of
// puts on the master, elections (the new master starts a higher term),
// fetch rounds, a slave losing part of its tail, and crashes with a
// reopen. After every fetch round that appended or found the slave caught
// up, the slave's log is a prefix of the master's, record for record; each
// store's term history always matches its records' headers, and its queues
// show exactly the records that end at or below its commit offset; and once the
// slave has caught up at the end the two logs, histories and queues are
// the same. A failing run prints its seed and the shrunk commands.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { MessageStore } from "../../src/store/message-store.js";
import { readU64 } from "../../src/store/record.js";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { removeDir } from "./helpers.js";
import { catchUp, records, ship } from "./replication-ship.js";

type Command =
  | { k: "put"; n: number; queueId: number; size: number }
  | { k: "elect"; who: number }
  | { k: "ship"; rounds: number; maxBytes: number }
  | { k: "cut"; at: number }
  | { k: "crash"; who: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant("put" as const), n: fc.integer({ min: 1, max: 6 }), queueId: fc.integer({ min: 0, max: 2 }), size: fc.integer({ min: 0, max: 120 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("elect" as const), who: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("ship" as const), rounds: fc.integer({ min: 1, max: 3 }), maxBytes: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("cut" as const), at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("crash" as const), who: fc.integer({ min: 0, max: 1 }) }) },
);

// the commit log's fsyncs are skipped: nothing here loses power
// many small runs: in memory where there is a tmpfs, so that fsyncs of small state files cost nothing
const tempDir = () => fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "rbus-repl-"));
const SEGMENT = 2048;
const open = (dir: string) => MessageStore.open(dir, { segmentBytes: SEGMENT, replicated: true, flushIntervalMs: 60_000, fsync: async () => {} });

/**
 * The term changes the records themselves carry (the header's term field),
 * each at the log end it was appended to (before a roll to a new segment).
 */
function termsOfRecords(store: MessageStore): Array<{ term: number; start: number }> {
  const out: Array<{ term: number; start: number }> = [];
  let prevEnd = -1;
  for (const [at, hex] of records(store)) {
    const term = readU64(Buffer.from(hex.slice(24, 40), "hex"), 0);
    const rolled = at % SEGMENT === 0 && prevEnd >= 0 && prevEnd > at - SEGMENT && prevEnd < at;
    if (out.length === 0 || term > out.at(-1)!.term) out.push({ term, start: rolled ? prevEnd : at });
    prevEnd = at + hex.length / 2;
  }
  return out;
}

/** Per queue of topic "t", how many of its records end at or below the commit offset: what readers must see. */
function committedPerQueue(store: MessageStore): number[] {
  const counts = [0, 0, 0];
  for (const [at, hex] of records(store)) {
    const rec = Buffer.from(hex, "hex");
    const topic = rec.toString("utf8", 62, 62 + rec.readUInt16BE(60));
    if (topic === "t" && at + rec.length <= store.commitOffset) counts[rec.readUInt32BE(28)]!++;
  }
  return counts;
}

async function run(commands: Command[]): Promise<void> {
  const dirs = [tempDir(), tempDir()];
  const stores = await Promise.all(dirs.map(open));
  let master = 0;
  let term = 0;
  let seq = 0;
  try {
    for (const c of commands) {
      const m = stores[master]!;
      const s = stores[1 - master]!;
      if (c.k === "put") {
        await m.put(Array.from({ length: c.n }, () => ({ topic: "t", queueId: c.queueId, body: Buffer.alloc(c.size, seq++ % 251) })));
      } else if (c.k === "elect") {
        master = c.who;
        term = Math.max(term, stores[0]!.lastTerm, stores[1]!.lastTerm) + 1;
        await stores[master]!.startTerm(term);
      } else if (c.k === "ship") {
        for (let i = 0; i < c.rounds; i++) {
          if ((await ship(m, s, c.maxBytes)) === "truncated") continue;
          const mine = records(s);
          assert.equal(mine, records(m).slice(0, mine.length), "the slave holds a prefix of the master's log");
          m.setCommitOffset(s.maxPhysicalOffset); // two replicas: what both hold (often inside a put's batch)
        }
      } else if (c.k === "cut") {
        const mine = records(s);
        if (mine.length > 0) s.truncateTo(mine[Math.floor(c.at * mine.length)]![0]);
      } else {
        stores[c.who]!.simulateCrash();
        stores[c.who] = await open(dirs[c.who]!);
      }
      for (const x of stores) {
        assert.equal(x.terms(), termsOfRecords(x), "the term history matches the records");
        assert.equal([0, 1, 2].map((q) => x.queueRange("t", q).max), committedPerQueue(x), "readers see exactly the committed records");
      }
    }
    const m = stores[master]!;
    const s = stores[1 - master]!;
    await catchUp(m, s, 1000);
    assert.equal(records(s), records(m));
    assert.equal(s.terms(), m.terms());
    s.setCommitOffset(s.maxPhysicalOffset);
    m.setCommitOffset(m.maxPhysicalOffset);
    for (const q of [0, 1, 2]) assert.equal(s.queueRange("t", q), m.queueRange("t", q));
  } finally {
    for (const x of stores) await x.close();
    dirs.forEach(removeDir);
  }
}

const prop = suite("replication, any interleaving");

prop("a slave's log is always a prefix of its master's after a fetch, and the same once caught up", async () => {
  await fc.assert(fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 30 }), run), { numRuns: 500 });
});

prop.run();
