// A consumer-group member as its own process: a PushConsumer that journals
// every message before its listener returns (so before its offset can be
// committed) and every damaged record it is told of (onCorrupt, and the
// damage its log names).
//   node consumer-worker.js <nats url> <topic> <group> <journal> <id>
import { PushConsumer } from "../../src/client/push-consumer.js";
import { createLogger } from "../../src/runtime/log.js";
import { connectNats } from "../../src/runtime/nats.js";
import { damageInLine } from "./damage-reports.js";
import { Journal } from "./journal.js";

const [url, topic, group, journalPath, id] = process.argv.slice(2);
if (!url || !topic || !group || !journalPath || !id) throw new Error("usage: consumer-worker <nats url> <topic> <group> <journal> <id>");
const session = `${id}.${process.pid}`;
const journal = new Journal(journalPath);
/** Per queue key ("topic/group/queueId"): how many times this session acquired it. */
const leases = new Map<string, number>();

// The consumer's log is where it says which queues it took (each take, at
// debug: a group member's info line is one per rebalance) and which records
// it could not read; lines from info up still go to stderr for the run's record.
const log = createLogger({ worker: session }, "debug", (line) => {
  const o = JSON.parse(line) as Record<string, unknown>;
  if (o.msg === "queues acquired" && Array.isArray(o.queues)) {
    for (const q of o.queues) if (typeof q === "string") leases.set(q, (leases.get(q) ?? 0) + 1);
  }
  for (const d of damageInLine(o, `consumer ${session}`)) journal.write({ t: "damage", ...d, session });
  if (o.level !== "debug") process.stderr.write(line + "\n");
});

const nc = await connectNats(url, `chaos-consumer-${session}`);
const consumer = new PushConsumer(nc, {
  group,
  from: "first",
  heartbeatMs: 500,
  rebalanceMs: 1000,
  commitIntervalMs: 1000,
  pollWaitMs: 2000,
  retryMs: 200,
  handoverMs: 300,
  log,
})
  .subscribe(topic)
  .onCorrupt((r) => {
    const from = r.commitLogOffset;
    journal.write({ t: "damage", group: r.queue.group, from, to: from + 1, source: `consumer ${session}: CORRUPT_RECORD at queue offset ${r.queueOffset}`, session });
  })
  .onMessage((m) => {
    const lease = leases.get(`${m.topic}/${m.group}/${m.queueId}`) ?? 0;
    journal.write({ t: "read", body: m.body.toString(), msgId: m.msgId, group: m.group, topic: m.topic, queueId: m.queueId, queueOffset: m.queueOffset, session, lease });
  });
await consumer.start();
process.stdout.write(`consumer ${session} started\n`);

process.on("SIGTERM", () => {
  void consumer
    .close()
    .then(() => nc.drain())
    .finally(() => {
      journal.close();
      process.exit(0);
    });
});
