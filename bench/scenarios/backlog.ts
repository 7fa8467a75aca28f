// (d) draining a stored backlog with a push consumer, then (e) what the
// backlog costs the broker in memory and disk, and (f) how long the broker
// takes to come back after kill -9 with that commit log.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Admin } from "../../src/client/admin.js";
import { PushConsumer } from "../../src/client/push-consumer.js";
import { rss, rssAnon, type BenchCluster } from "../lib/cluster.js";
import { progress } from "../lib/progress.js";
import type { Row } from "../lib/report.js";
import { sendAll, startProducer } from "../lib/rocketbus.js";
import { rate } from "../lib/stats.js";
import { drainRate, fill, resetStream, streamBytes } from "../peers/jetstream.js";
import { requestReplyRate } from "../peers/nats.js";
import type { Sizes } from "./sizes.js";

const PULL_BATCH = 1024;
const GiB = 2 ** 30;

/** Bytes of every file under a folder. */
export function diskBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    // the broker is running: a temp file (checkpoint.<n>.tmp) may be renamed away between the listing and the stat
    total += e.isDirectory() ? diskBytes(p) : (statSync(p, { throwIfNoEntry: false })?.size ?? 0);
  }
  return total;
}

async function drainRocketbus(c: BenchCluster, topic: string, count: number): Promise<number> {
  let seen = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const t0 = performance.now();
  const consumer = new PushConsumer(c.nc, { group: "bench-drain", from: "first", pullBatch: PULL_BATCH, maxBufferedPerQueue: 4 * PULL_BATCH })
    .subscribe(topic)
    .onMessage(() => {
      if (++seen === count) resolveDone();
    });
  await consumer.start();
  await done;
  const ms = performance.now() - t0;
  await consumer.close();
  return rate(count, ms);
}

export async function backlog(c: BenchCluster, sizes: Sizes): Promise<Row[]> {
  const topic = "backlog";
  const n = sizes.backlog;
  await new Admin(c.nc).createTopic({ topic, queues: 4 });
  // a broker fresh from a clean stop, so that (e) measures what the backlog costs, not the high-water of the scenarios before it
  await c.killBroker();
  await c.startBroker();
  progress(`(d) storing a backlog of ${n} × 100 B in Rocketbus`);
  const diskBefore = diskBytes(c.brokerDir);
  const producer = await startProducer(c.nc);
  const body = new Uint8Array(100).fill(98);
  await sendAll(producer, topic, n, () => body);
  await producer.close();
  progress(`(d) draining it with a push consumer (pull batch ${PULL_BATCH})`);
  const rb = await drainRocketbus(c, topic, n);
  progress(`(d) JetStream: filling ${n} and draining with an ordered consumer`);
  const js = await resetStream(c.nc);
  await fill(c.nc, { messages: n, size: 100 });
  const jsDrain = await drainRate(js, n);
  const ceiling = await requestReplyRate(c.nc, { messages: n, size: 100, perRequest: PULL_BATCH, inFlight: 4 });

  progress("(e) memory and disk per stored message");
  const brokerRss = rss(c.broker().pid!);
  const serverRss = rss(c.server.pid());
  const brokerAnon = rssAnon(c.broker().pid!);
  const serverAnon = rssAnon(c.server.pid());
  const rbDisk = diskBytes(c.brokerDir);
  const rbBacklogDisk = rbDisk - diskBefore;
  const jsState = await streamBytes(c.nc);
  const jsDisk = diskBytes(c.server.storeDir);

  progress("(f) kill -9 the broker and time its restart; the same for nats-server with the JetStream stream");
  await c.killBroker("SIGKILL");
  const rbRecoveryMs = await c.startBroker();
  await c.server.crash();
  const t0 = performance.now();
  await c.server.start();
  const jsRecoveryMs = performance.now() - t0;

  return [
    { scenario: `(d) drain a backlog of ${n}`, metric: "throughput", unit: "msgs/s", rocketbus: rb, jetstream: jsDrain, ceiling, higherIsBetter: true, goals: [{ peer: "jetstream", atLeast: 3 }], why: "draining-a-backlog",
      note: `push consumer with pull batch ${PULL_BATCH}, 4 queues; JetStream: ordered consumer, 1 000 per pull; ceiling: request/reply carrying ${PULL_BATCH} messages, 4 in flight` },
    { scenario: "(e) footprint", metric: "broker RSS with the backlog", unit: "MiB", rocketbus: brokerRss / 2 ** 20, jetstream: serverRss / 2 ** 20, higherIsBetter: false, goals: [{ peer: "jetstream", atMost: 2 }], why: "footprint",
      note: `JetStream's figure is the whole nats-server process; a broker started fresh before the backlog; RSS counts each executable's mapped pages too; anonymous memory alone (RssAnon) was ${(brokerAnon / 2 ** 20).toFixed(0)} MiB for the broker and ${(serverAnon / 2 ** 20).toFixed(0)} MiB for nats-server` },
    { scenario: "(e) footprint", metric: "disk per stored message", unit: "bytes", rocketbus: rbBacklogDisk / n, jetstream: jsDisk / Math.max(1, jsState.messages), higherIsBetter: false, goals: [{ peer: "jetstream", atMost: 1.1 }], why: "footprint",
      note: "100 B bodies; Rocketbus: what the backlog added to the broker's folder (commit log, consume queues, index); JetStream: the stream's store folder" },
    { scenario: "(f) restart after kill -9", metric: "time to serve, per GiB of log", unit: "s/GiB", rocketbus: rbRecoveryMs / 1000 / (rbDisk / GiB), jetstream: jsRecoveryMs / 1000 / (jsDisk / GiB), higherIsBetter: false, goals: [{ peer: "jetstream", atMost: 1 }],
      note: `measured on ${(rbDisk / 2 ** 20).toFixed(0)} MiB (Rocketbus) and ${(jsDisk / 2 ** 20).toFixed(0)} MiB (JetStream), process start included: ${(rbRecoveryMs / 1000).toFixed(2)} s and ${(jsRecoveryMs / 1000).toFixed(2)} s` },
  ];
}
