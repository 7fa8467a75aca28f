// (f) against the log's size: the broker is killed with -9 as its commit
// log passes each size, and timed until it serves again. What recovery
// checks is the tail past its last checkpoint, so the time should follow
// the tail that the broker reports, not the size of the log.
import { join } from "node:path";
import { Admin } from "../../src/client/admin.js";
import { startBenchCluster, type BenchCluster } from "../lib/cluster.js";
import { progress } from "../lib/progress.js";
import type { Row } from "../lib/report.js";
import { sendAll, startProducer } from "../lib/rocketbus.js";
import { fillBytes, resetStream } from "../peers/jetstream.js";
import { waitUntil } from "../../test/harness/wait.js";
import { diskBytes } from "./backlog.js";
import type { Sizes } from "./sizes.js";

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const BODY = 256 * 1024;
/** What the target allows on top of a second: the tail checked at 1 GiB/s. */
const TAIL_SECONDS_PER_GIB = 1;

interface Recovered {
  checkedFrom: number;
  replayedRecords: number;
}

/** The broker's "recovered after an unclean stop" line, or undefined if it logged none. */
function recovery(c: BenchCluster): Recovered | undefined {
  for (const line of c.brokerLog()) {
    try {
      const o = JSON.parse(line) as { msg?: string } & Partial<Recovered>;
      if (o.msg === "recovered after an unclean stop") return { checkedFrom: o.checkedFrom ?? 0, replayedRecords: o.replayedRecords ?? 0 };
    } catch {
      // not one of the broker's JSON lines
    }
  }
  return undefined;
}

export async function restartCurve(sizes: Sizes): Promise<Row[]> {
  const c = await startBenchCluster();
  const rows: Row[] = [];
  try {
    const topic = "restart-curve";
    // the broker answers before its first registration reaches the NameServer
    await waitUntil("the broker's registration", () => new Admin(c.nc).createTopic({ topic, queues: 4 }), { timeoutMs: 30_000 });
    const body = new Uint8Array(BODY).fill(114);
    const logDir = join(c.brokerDir, "commitlog");
    for (const gib of sizes.restartLogGiB) {
      const have = diskBytes(logDir);
      const need = Math.max(0, Math.ceil((gib * GiB - have) / BODY));
      progress(`(f) growing the commit log to ${gib} GiB (${need} × 256 KiB), then kill -9 and restart`);
      const producer = await startProducer(c.nc);
      await sendAll(producer, topic, need, () => body);
      await producer.close();
      const logBytes = diskBytes(logDir);
      await c.killBroker("SIGKILL");
      const ms = await c.startBroker();
      const r = recovery(c);
      const tail = r ? Math.max(0, logBytes - r.checkedFrom) : logBytes;
      const allowed = 1 + (tail / GiB) * TAIL_SECONDS_PER_GIB;
      const last = gib === sizes.restartLogGiB.at(-1);
      rows.push({
        scenario: "(f) restart after kill -9, by log size",
        metric: `time to serve, ${(logBytes / GiB).toFixed(logBytes < GiB ? 2 : 1)} GiB of log`,
        unit: "s",
        rocketbus: ms / 1000,
        higherIsBetter: false,
        why: "restart-after-kill--9",
        target: `≤ 1 s + ${TAIL_SECONDS_PER_GIB} s per GiB of tail (here ${allowed.toFixed(2)} s)`,
        met: ms / 1000 <= allowed,
        note: `tail checked past the last checkpoint: ${(tail / MiB).toFixed(0)} MiB, ${r?.replayedRecords ?? "?"} records replayed; process start included`,
      });
      if (last) rows.push(await jetStreamBeside(c, logBytes, ms));
    }
  } finally {
    await c.stop();
  }
  return rows;
}

/** JetStream with a stream as large as the largest log, killed and restarted the same way: seconds per GiB side by side. */
async function jetStreamBeside(c: BenchCluster, rbBytes: number, rbMs: number): Promise<Row> {
  progress(`(f) JetStream: a file stream of ${(rbBytes / GiB).toFixed(1)} GiB (256 KiB messages), then kill -9 of nats-server and restart`);
  await resetStream(c.nc);
  await fillBytes(c.nc, { bytes: rbBytes, size: BODY });
  const jsBytes = diskBytes(c.server.storeDir);
  await c.server.crash();
  const t0 = performance.now();
  await c.server.start();
  const jsMs = performance.now() - t0;
  return {
    scenario: "(f) restart after kill -9, by log size",
    metric: `time to serve per GiB, ${(rbBytes / GiB).toFixed(1)} GiB of log`,
    unit: "s/GiB",
    rocketbus: rbMs / 1000 / (rbBytes / GiB),
    jetstream: jsMs / 1000 / (jsBytes / GiB),
    higherIsBetter: false,
    goals: [{ peer: "jetstream", atMost: 1 }],
    why: "restart-after-kill--9",
    note: `the same log size for both: Rocketbus ${(rbMs / 1000).toFixed(2)} s for ${(rbBytes / GiB).toFixed(1)} GiB, JetStream ${(jsMs / 1000).toFixed(2)} s for ${(jsBytes / GiB).toFixed(1)} GiB (its store folder); process start included`,
  };
}
