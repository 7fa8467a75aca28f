// What one held pull costs the broker's heap: holds N pulls on an
// in-process broker and compares heapUsed after a full GC (run with
// node --expose-gc). Prints bytes per held pull.
//   node --expose-gc dist/test/load/held-memory.js [N]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { startBroker } from "../../actors/broker.js";
import { encodeJson, subjects } from "../../src/protocol/index.js";
import { startNatsServer } from "../harness/nats-server.js";
import { waitUntil } from "../harness/wait.js";

const N = Number(process.argv[2] ?? 20_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const server = await startNatsServer({ jetstream: false });
const dir = mkdtempSync(join(tmpdir(), "rbus-heldmem-"));
const nc = await connect({ servers: server.url });
const client = await connect({ servers: server.url });
const broker = await startBroker({ nc, group: "broker-a", replica: 0, dataDir: dir, limits: { maxHeldPulls: N, maxHeldPullsPerClient: N } });
try {
  const subj = subjects();
  await nc.request(subj.broker("broker-a", 0, "topic.upsert"), encodeJson({ topic: "idle", readQueues: 4, writeQueues: 4, perm: "rw" }));
  const held = async () => (await client.request(subj.broker("broker-a", 0, "status"), "{}")).json<{ pullsHeld: number }>().pullsHeld;
  gc();
  const before = process.memoryUsage();
  for (let i = 0; i < N; i++) {
    client.publish(subj.broker("broker-a", 0, "pull"), encodeJson({ group: "g", topic: "idle", queueId: i % 4, offset: 0, waitMs: 30_000 }), { reply: `_INBOX.probe.${i}` });
    if (i % 1000 === 999) await client.flush();
  }
  await waitUntil("all held", async () => (await held()) === N, { timeoutMs: 30_000 });
  gc();
  const after = process.memoryUsage();
  console.log(`${N} held pulls: heapUsed +${((after.heapUsed - before.heapUsed) / 1024 / 1024).toFixed(1)} MB, ${((after.heapUsed - before.heapUsed) / N).toFixed(0)} bytes each; external +${((after.external + after.arrayBuffers - before.external - before.arrayBuffers) / N).toFixed(0)} bytes each`);
} finally {
  await broker.stop();
  await client.close();
  await nc.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
