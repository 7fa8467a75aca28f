// End-to-end throughput on one machine, in one run: bare NATS request/reply
// (the ceiling) against the producer on a real NameServer and broker.
// Not a test: prints msgs/s. Run: node dist/bench/throughput.js [messages]
//   (a) bare request/reply, 1 in flight and 1 000 in flight (an echo
//       responder), and requests carrying 256 x 100 B, 64 in flight (the
//       shape send.batch has: the ceiling for batched sends)
//   (b) Producer.sendAsync, 100 B messages (send.batch under the hood),
//       against the real broker, and against a stub broker that stores
//       nothing (what the client alone costs)
//   (c) Producer.send, 1 in flight
// Everything shares one Node process with the NameServer and the broker,
// which flushes asynchronously (RocketMQ's default) to a temp folder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startBroker } from "../actors/broker.js";
import { startNameServer } from "../actors/nameserver.js";
import { Producer } from "../src/client/producer.js";
import { encodeJson, subjects, type BatchSendResult, type SendResult } from "../src/protocol/index.js";
import { startNatsServer } from "../test/harness/nats-server.js";

const TOTAL = Number(process.argv[2] ?? 200_000);
const SYNC_MS = 3000;
const body = Buffer.alloc(100, 0x61);

interface Row {
  path: string;
  messages: number;
  ms: number;
}
const rate = (r: Row) => r.messages / (r.ms / 1000);

async function timed(path: string, messages: number, run: () => Promise<number | void>): Promise<Row> {
  const t0 = performance.now();
  const n = await run();
  return { path, messages: typeof n === "number" ? n : messages, ms: performance.now() - t0 };
}

/** Request/reply against an echo responder on its own connection: what NATS alone costs. */
async function bareNats(nc: NatsConnection, echo: NatsConnection): Promise<Row[]> {
  echo.subscribe("bench.echo", { callback: (_, m) => void m.respond(m.data) });
  await echo.flush();
  const one = await timed("NATS request/reply, 1 in flight", 0, async () => {
    let n = 0;
    for (const end = performance.now() + SYNC_MS; performance.now() < end; n++) await nc.request("bench.echo", body, { timeout: 5000 });
    return n;
  });
  const window = 1000;
  const many = await timed(`NATS request/reply, ${window} in flight`, 100_000, async () => {
    let next = 0;
    const worker = async () => {
      while (next++ < 100_000) await nc.request("bench.echo", body, { timeout: 10_000 });
    };
    await Promise.all(Array.from({ length: window }, worker));
  });
  const perRequest = 256;
  const batch = Buffer.alloc(perRequest * 120, 0x61);
  const batched = await timed(`NATS request/reply, ${perRequest} x 100 B each, 64 in flight`, 0, async () => {
    let requests = 0;
    const end = performance.now() + SYNC_MS;
    const worker = async () => {
      while (performance.now() < end) {
        await nc.request("bench.echo-small", batch, { timeout: 10_000 });
        requests++;
      }
    };
    echo.subscribe("bench.echo-small", { callback: (_, m) => void m.respond(body) });
    await echo.flush();
    await Promise.all(Array.from({ length: 64 }, worker));
    return requests * perRequest;
  });
  return [one, many, batched];
}

/** A broker group that answers send.batch at once and stores nothing. */
async function stubBroker(nc: NatsConnection, topic: string): Promise<void> {
  const subj = subjects();
  const replies = new Map<number, Uint8Array>();
  nc.subscribe(subj.broker("stub", 0, "send.batch"), {
    callback: (_, m) => {
      const count = Buffer.from(m.data.buffer, m.data.byteOffset, 8).readUInt32BE(4);
      let reply = replies.get(count);
      if (reply === undefined) {
        const results: BatchSendResult["results"] = Array.from({ length: count }, (_, i) => [0, i, `stub:${i.toString(16).padStart(16, "0")}`]);
        reply = encodeJson({ status: "SEND_OK", topic, results } satisfies BatchSendResult);
        replies.set(count, reply);
      }
      m.respond(reply);
    },
  });
  await nc.flush();
}

async function producerAsync(p: Producer, n: number, topic = "bench"): Promise<Row> {
  const what = topic === "bench" ? "" : " (stub broker)";
  return timed(`Producer.sendAsync${what}, ${n.toLocaleString("en-US")} x 100 B`, n, async () => {
    let pending: Array<Promise<SendResult>> = [];
    for (let i = 0; i < n; i++) {
      if (!p.writable) {
        await p.waitWritable();
        if (pending.length > 100_000) pending = [];
      }
      pending.push(p.sendAsync({ topic, body }));
    }
    await Promise.all(pending);
    await p.close();
  });
}

async function producerSync(p: Producer): Promise<Row> {
  return timed("Producer.send, 1 in flight", 0, async () => {
    let n = 0;
    for (const end = performance.now() + SYNC_MS; performance.now() < end; n++) await p.send({ topic: "bench", body });
    return n;
  });
}

const server = await startNatsServer({ jetstream: false });
const dir = mkdtempSync(join(tmpdir(), "rbus-bench-"));
const [nc, brokerNc, echoNc] = await Promise.all([0, 1, 2].map(() => connect({ servers: server.url })));
try {
  const ns = await startNameServer({ nc: brokerNc!, id: "ns-bench" });
  const broker = await startBroker({ nc: brokerNc!, group: "broker-a", replica: 0, dataDir: dir, store: { flush: "async" } });
  const [bare1, bareMany, bareBatched] = await bareNats(nc!, echoNc!);

  // Warm up: creates the topic and its route, and JIT-compiles the paths.
  const warm = await new Producer(nc!).start();
  await warm.send({ topic: "bench", body });
  await Promise.all(Array.from({ length: 20_000 }, () => warm.sendAsync({ topic: "bench", body })));
  await warm.close();

  const asyncRow = await producerAsync(await new Producer(nc!).start(), TOTAL);

  // The stub group serves its own topic, registered like a broker would.
  await stubBroker(echoNc!, "bench-stub");
  await nc!.request(subjects().ns.register, encodeJson({
    cluster: "c", group: "stub", replica: 0, role: "master", term: 0, address: subjects().brokerBase("stub", 0),
    heartbeatIntervalMs: 60_000, topics: [{ topic: "bench-stub", readQueues: 4, writeQueues: 4, perm: "rw" }], startedAt: Date.now(),
  }));
  const stubWarm = await new Producer(nc!).start();
  await Promise.all(Array.from({ length: 20_000 }, () => stubWarm.sendAsync({ topic: "bench-stub", body })));
  await stubWarm.close();
  const stubRow = await producerAsync(await new Producer(nc!).start(), TOTAL, "bench-stub");
  const sync = await new Producer(nc!).start();
  const syncRow = await producerSync(sync);
  await sync.close();

  const rows: Array<[Row, Row]> = [
    [bare1!, bare1!],
    [bareMany!, bareMany!],
    [bareBatched!, bareBatched!],
    [asyncRow, bareBatched!],
    [stubRow, bareBatched!],
    [asyncRow, bareMany!],
    [syncRow, bare1!],
  ];
  const w = Math.max(...rows.map(([r]) => r.path.length));
  console.log(`${"path".padEnd(w)}  ${"msgs/s".padStart(10)}  vs bare NATS`);
  for (const [r, base] of rows) {
    const ratio = r === base ? "" : `${(rate(r) / rate(base)).toFixed(2)}x of ${base.path.replace("NATS request/reply, ", "")}`;
    console.log(`${r.path.padEnd(w)}  ${Math.round(rate(r)).toLocaleString("en-US").padStart(10)}  ${ratio}`);
  }
  console.log(`broker: ${JSON.stringify(broker.store.stats())}`);
  await broker.stop();
  await ns.stop();
} finally {
  for (const c of [nc, brokerNc, echoNc]) await c!.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
