// A producer as its own process: sends numbered, unique bodies with
// sendAsync at a steady rate and journals what it sent and what was
// acknowledged. SIGTERM stops sending, waits for the answers, exits 0.
//   node producer-worker.js <nats url> <topic> <journal> <id> <messages per second>
import { randomBytes } from "node:crypto";
import { Producer } from "../../src/client/producer.js";
import { RbusError, SendStatus } from "../../src/protocol/index.js";
import { createLogger } from "../../src/runtime/log.js";
import { connectNats } from "../../src/runtime/nats.js";
import { Journal } from "./journal.js";

const [url, topicArg, journalPath, id, rateArg] = process.argv.slice(2);
if (!url || !topicArg || !journalPath || !id) throw new Error("usage: producer-worker <nats url> <topic> <journal> <id> [rate]");
const topic: string = topicArg;
const rate = Number(rateArg ?? 200);
const TICK_MS = 50;
/** Sends without an answer at most; beyond it the worker waits (a group down for long must not grow memory). */
const MAX_OUTSTANDING = 2000;

const journal = new Journal(journalPath);
const nc = await connectNats(url, `chaos-producer-${id}`);
const producer = await new Producer(nc, { group: `chaos-${id}`, sendTimeoutMs: 2000, log: createLogger({ worker: id }, "warn") }).start();
const salt = randomBytes(4).toString("hex");
let seq = 0;
let outstanding = 0;
let stopping = false;
const pending = new Set<Promise<void>>();

function sendOne(body: string): void {
  outstanding++;
  const p = producer.sendAsync({ topic, body }).then(
    (r) => {
      if (r.status === SendStatus.SEND_OK) {
        journal.write({ t: "ack", body, msgId: r.msgId, topic: r.topic, queueId: r.queueId, queueOffset: r.queueOffset, at: Date.now() });
      } else journal.write({ t: "fail", body, code: r.status, at: Date.now() });
    },
    (err: unknown) => journal.write({ t: "fail", body, code: err instanceof RbusError ? err.code : String(err), at: Date.now() }),
  ).finally(() => {
    outstanding--;
    pending.delete(p);
  });
  pending.add(p);
}

async function run(): Promise<void> {
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  while (!stopping) {
    const started = Date.now();
    if (outstanding < MAX_OUTSTANDING) {
      const bodies = Array.from({ length: perTick }, () => `${id}-${salt}-${seq++}`);
      journal.write({ t: "sent", bodies }); // before sending: a read body must be in the journal
      for (const b of bodies) {
        if (!producer.writable) await producer.waitWritable();
        sendOne(b);
      }
    }
    await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (Date.now() - started))));
  }
}

const loop = run();
process.on("SIGTERM", () => {
  stopping = true;
  void loop
    .then(() => Promise.all(pending))
    .then(() => producer.close())
    .then(() => nc.drain())
    .finally(() => {
      journal.close();
      process.exit(0);
    });
});
