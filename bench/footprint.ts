// What a broker's memory holds with a backlog (row (e)), taken apart: the
// broker is started as `make bench` starts it, with bench/lib/memory-probe.ts
// preloaded, sent <n> × 100 B over 4 queues and drained as in scenario (d),
// and its memory printed idle, after the sends, after the drain and around
// a forced full GC. Not part of `make bench`:
//   node dist/bench/footprint.js [--messages <n>]   (default 1,000,000)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Admin } from "../src/client/admin.js";
import { PushConsumer } from "../src/client/push-consumer.js";
import { rss, startBenchCluster } from "./lib/cluster.js";
import type { MemorySample } from "./lib/memory-probe.js";
import { sendAll, startProducer } from "./lib/rocketbus.js";

const { values } = parseArgs({ options: { messages: { type: "string", default: "1000000" } } });
const n = Number(values.messages);
const probeDir = mkdtempSync(join(tmpdir(), "rbus-footprint-"));
// the cluster's processes inherit the environment: only the broker's probe writes
process.env.RBUS_MEMORY_PROBE = probeDir;
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --import ${fileURLToPath(new URL("./lib/memory-probe.js", import.meta.url))}`;
const c = await startBenchCluster();
const pid = c.broker().pid!;
const settle = () => new Promise((r) => setTimeout(r, 1500)); // the probe writes every second
const read = (suffix = ""): MemorySample => JSON.parse(readFileSync(join(probeDir, `mem-${pid}${suffix}.json`), "utf8")) as MemorySample;
const line = (what: string, m: MemorySample) => {
  const maps = Object.entries(m.mappings).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
  console.log(`${what.padEnd(22)} RSS ${m.rss.toFixed(1)} MiB  heap ${m.heapTotal.toFixed(1)} / ${m.heapUsed.toFixed(1)}  buffers ${m.arrayBuffers.toFixed(1)}  (${maps})`);
};
try {
  await settle();
  line("idle", read());
  await new Admin(c.nc).createTopic({ topic: "backlog", queues: 4 });
  const producer = await startProducer(c.nc);
  const body = new Uint8Array(100).fill(98);
  await sendAll(producer, "backlog", n, () => body);
  await producer.close();
  await settle();
  line(`after ${n} sends`, read());
  let seen = 0;
  let drained!: () => void;
  const done = new Promise<void>((r) => (drained = r));
  const consumer = new PushConsumer(c.nc, { group: "footprint", from: "first", pullBatch: 1024, maxBufferedPerQueue: 4096 })
    .subscribe("backlog")
    .onMessage(() => void (++seen === n && drained()));
  await consumer.start();
  await done;
  await consumer.close();
  await settle();
  line("after the drain", read());
  process.kill(pid, "SIGUSR1");
  await settle();
  const gc = JSON.parse(readFileSync(join(probeDir, `mem-${pid}.gc.json`), "utf8")) as { before: MemorySample; after: MemorySample };
  line("after a full GC", gc.after);
  console.log(`nats-server RSS ${(rss(c.server.pid()) / 2 ** 20).toFixed(1)} MiB`);
} finally {
  await c.stop();
  rmSync(probeDir, { recursive: true, force: true });
}
