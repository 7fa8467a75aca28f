// CPU of the drain, row (d), taken apart: a backlog of 100 B messages is
// stored, the broker restarted (so that its profile holds the drain
// alone), then drained by a push consumer as (d) does, with the CPU each
// process spent per message read from /proc around the drain.
//   node dist/bench/profile-drain.js [--messages 300000] [--out <dir>] [--top 20]
// With RBUS_BENCH_PROFILE=<dir> the broker writes its profile there when
// it stops; the consumer's (this process) is written to --out.
import { mkdtempSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Admin } from "../src/client/admin.js";
import { PushConsumer } from "../src/client/push-consumer.js";
import { waitUntil } from "../test/harness/wait.js";
import { startBenchCluster } from "./lib/cluster.js";
import { selfTimeTable } from "./lib/cpu-profile.js";
import { progress } from "./lib/progress.js";
import { cpuMs } from "./lib/replicated-cpu.js";
import { sendAll, startProducer } from "./lib/rocketbus.js";
import { rate } from "./lib/stats.js";

const { values } = parseArgs({ options: { messages: { type: "string", default: "300000" }, out: { type: "string" }, top: { type: "string", default: "20" } } });
const n = Number(values.messages);
const out = values.out ?? mkdtempSync(join(tmpdir(), "rbus-drain-profile-"));

const c = await startBenchCluster();
try {
  await waitUntil("the broker's registration", () => new Admin(c.nc).createTopic({ topic: "drain", queues: 4 }), { timeoutMs: 30_000 });
  progress(`storing ${n} × 100 B`);
  const producer = await startProducer(c.nc);
  const body = new Uint8Array(100).fill(100);
  await sendAll(producer, "drain", n, () => body);
  await producer.close();
  await c.killBroker();
  await c.startBroker();

  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  const pids = { broker: c.broker().pid!, "nats-server": c.server.pid() };
  const before = { consumer: process.cpuUsage(), broker: cpuMs(pids.broker), server: cpuMs(pids["nats-server"]) };
  let seen = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const t0 = performance.now();
  const consumer = new PushConsumer(c.nc, { group: "drain-profile", from: "first", pullBatch: 1024, maxBufferedPerQueue: 4096 })
    .subscribe("drain")
    .onMessage(() => {
      if (++seen === n) done();
    });
  await consumer.start();
  await all;
  const ms = performance.now() - t0;
  const own = process.cpuUsage(before.consumer);
  const us = (cpuMsSpent: number) => ((cpuMsSpent * 1000) / n).toFixed(2);
  const { profile } = await session.post("Profiler.stop");
  await consumer.close();
  progress(`drained ${n} in ${ms.toFixed(0)} ms: ${Math.round(rate(n, ms))} msgs/s`);
  progress(`CPU per message (µs): consumer ${us((own.user + own.system) / 1000)}, broker ${us(cpuMs(pids.broker) - before.broker)}, nats-server ${us(cpuMs(pids["nats-server"]) - before.server)}`);
  const file = join(out, "consumer.cpuprofile");
  writeFileSync(file, JSON.stringify(profile));
  process.stdout.write([`## consumer: ${file}`, "", ...selfTimeTable(file, Number(values.top)), ""].join("\n"));
} finally {
  await c.stop();
}
