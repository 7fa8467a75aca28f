// Store throughput: put 500k 100-byte messages in batches of 256 (async
// flush, 4 queues), then read them all back by queue. Not a test: prints
// msgs/s. Run: node dist/bench/store-throughput.js [async|sync] [keys]
// ("keys" gives every message a unique key, exercising the key index).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MessageStore } from "../src/store/index.js";
import type { PutMessage } from "../src/store/index.js";

const TOTAL = 500_000;
const BATCH = 256;
const QUEUES = 4;
const flush = process.argv[2] === "sync" ? "sync" : "async";
const withKeys = process.argv[3] === "keys";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rbus-bench-"));
try {
  const store = await MessageStore.open(dir, { flush, segmentBytes: 64 << 20 });
  const body = Buffer.alloc(100, 0x61);
  const t0 = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    const n = Math.min(BATCH, TOTAL - sent);
    const q = (sent / BATCH) % QUEUES;
    const batch: PutMessage[] = Array.from({ length: n }, (_, i) => ({ topic: "bench", queueId: q, body, tags: "TagA", ...(withKeys ? { keys: `k${sent + i}` } : {}) }));
    inFlight.push(store.put(batch));
    if (inFlight.length >= 64) await Promise.all(inFlight.splice(0)); // sync flush: 64 batches share fsyncs
  }
  await Promise.all(inFlight);
  const t1 = performance.now();

  let read = 0;
  for (let q = 0; q < QUEUES; q++) {
    for (let offset = 0; ; ) {
      const r = store.get("bench", q, offset, 1024);
      if (r.messages.length === 0) break;
      read += r.messages.length;
      offset = r.nextOffset;
    }
  }
  const t2 = performance.now();
  const s = store.stats();
  await store.close();
  const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString("en-US")} msgs/s`;
  console.log(`flush=${flush}${withKeys ? " keys" : ""} put  ${TOTAL} x 100 B in batches of ${BATCH}: ${(t1 - t0).toFixed(0)} ms, ${rate(TOTAL, t1 - t0)}`);
  console.log(`flush=${flush} read ${read} by queue (1024 per get):     ${(t2 - t1).toFixed(0)} ms, ${rate(read, t2 - t1)}`);
  console.log(`log ${(s.commitLogBytes / 2 ** 20).toFixed(1)} MiB in ${s.segments} segments, ${s.messages} messages`);
  if (read !== TOTAL) throw new Error(`read ${read}, expected ${TOTAL}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
