// The broker's CPU per message for send.batch RBB1 (messages it encodes)
// against RBB2 (records the producer encoded), on one broker process: the
// same 100 B messages in batches of --batch, prebuilt so that the client
// does no encoding during the run, sent in alternating rounds of each
// version (so a burst of a neighbour's load falls on both), --inflight
// requests outstanding. CPU from /proc, user + system.
//   node dist/bench/send-batch-versions.js [--messages 400000] [--batch 1024] [--rounds 4] [--inflight 8] [--only RBB1|RBB2]
// --only sends one version alone (for a broker profile: RBUS_BENCH_PROFILE=<dir>, bench/lib/cluster.ts).
// Also times each version's encoding in this process (what a producer pays per message).
import { parseArgs } from "node:util";
import { Admin } from "../src/client/admin.js";
import { encodeBatch, subjects, Header, type BatchEntry } from "../src/protocol/index.js";
import { frameRecordBatch } from "../src/protocol/record-batch.js";
import { headers } from "@nats-io/transport-node";
import { waitUntil } from "../test/harness/wait.js";
import { startBenchCluster } from "./lib/cluster.js";
import { progress } from "./lib/progress.js";
import { cpuMs } from "./lib/replicated-cpu.js";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "400000" }, batch: { type: "string", default: "1024" },
    rounds: { type: "string", default: "4" }, inflight: { type: "string", default: "8" },
    only: { type: "string" },
  },
});
const perRound = Number(values.messages) / Number(values.rounds);
const batch = Number(values.batch);
const inflight = Number(values.inflight);
const requests = Math.ceil(perRound / batch);
const TOPIC = "versions";

const body = new Uint8Array(100).fill(97);
const born = Date.now();
const entries: BatchEntry[] = Array.from({ length: batch }, () => ({ queueId: -1, bornTimestamp: born, body }));
const unsealed = Array.from({ length: batch }, () => ({ topic: TOPIC, bornTimestamp: born, body }));

function encodeCost(encode: () => Buffer): number {
  for (let i = 0; i < 200; i++) encode();
  const t0 = process.hrtime.bigint();
  const n = 2000;
  for (let i = 0; i < n; i++) encode();
  return Number(process.hrtime.bigint() - t0) / 1000 / (n * batch);
}

const c = await startBenchCluster();
try {
  const subject = subjects().broker("broker-a", 0, "send.batch");
  await waitUntil("the broker's registration", () => new Admin(c.nc).createTopic({ topic: TOPIC, queues: 4 }), { timeoutMs: 30_000 });
  const payloads = { RBB1: encodeBatch(entries), RBB2: frameRecordBatch(unsealed) };
  const h = headers();
  h.set(Header.topic, TOPIC);
  const run = async (payload: Buffer): Promise<void> => {
    let sent = 0;
    const one = async (): Promise<void> => {
      while (sent < requests) {
        sent++;
        const r = await c.nc.request(subject, payload, { headers: h, timeout: 30_000 });
        if (r.headers?.get(Header.status) !== "SEND_OK") throw new Error(`send.batch answered ${new TextDecoder().decode(r.data).slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: inflight }, one));
  };
  const pid = c.broker().pid!;
  for (const [v, p] of Object.entries(payloads)) if (values.only === undefined || v === values.only) await run(p); // warm-up
  const spent = { RBB1: { cpu: 0, ms: 0 }, RBB2: { cpu: 0, ms: 0 } };
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const v of round % 2 === 0 ? (["RBB1", "RBB2"] as const) : (["RBB2", "RBB1"] as const)) {
      if (values.only !== undefined && v !== values.only) continue;
      const cpu0 = cpuMs(pid);
      const t0 = performance.now();
      await run(payloads[v]);
      spent[v].ms += performance.now() - t0;
      spent[v].cpu += cpuMs(pid) - cpu0;
    }
  }
  const total = requests * batch * Number(values.rounds);
  for (const v of ["RBB1", "RBB2"] as const) {
    const { cpu, ms } = spent[v];
    if (ms === 0) continue;
    progress(`${v}: broker ${((cpu * 1000) / total).toFixed(3)} µs CPU/msg, ${Math.round((total / ms) * 1000)} msgs/s (${total} msgs, batches of ${batch}, ${inflight} in flight)`);
  }
  if (values.only === undefined) progress(`ratio RBB2/RBB1 broker CPU per message: ${(spent.RBB2.cpu / spent.RBB1.cpu).toFixed(3)}`);
  progress(`encoding in this process, µs/msg: RBB1 encodeBatch ${encodeCost(() => encodeBatch(entries)).toFixed(3)}, RBB2 frameRecordBatch ${encodeCost(() => frameRecordBatch(unsealed)).toFixed(3)}`);
} finally {
  await c.stop();
}
