// (i) what inspection costs a send: two fresh broker processes side by side,
// one with RBUS_INSPECT=nats (the default: every change published on
// rbus.inspect.<node>, watched here as a dashboard would) and one with
// RBUS_INSPECT=off (actors with no inspector at all), and one producer
// sending the same load to each in short alternating chunks. The machine
// is shared and a neighbour's load comes in bursts of seconds: alternating
// often spreads a burst over both, so the totals compare like with like.
import type { NatsConnection } from "@nats-io/transport-node";
import type { BenchCluster } from "../lib/cluster.js";
import { progress } from "../lib/progress.js";
import type { Row } from "../lib/report.js";
import { sendAll, startProducer } from "../lib/rocketbus.js";
import { rate } from "../lib/stats.js";
import { subjects } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import type { Sizes } from "./sizes.js";

const CHUNK = 10_000;
/** Inspection on must keep this share of the throughput with it off. */
const TARGET = 0.95;
const modes = ["nats", "off"] as const;

/** Creates `topic` on its own broker group alone and waits until the NameServer routes it (the broker registers within a moment of starting). */
async function topicOn(nc: NatsConnection, group: string, topic: string): Promise<void> {
  const subj = subjects();
  await requestJson(nc, subj.broker(group, 0, "topic.upsert"), { topic, readQueues: 4, writeQueues: 4, perm: "rw" }, 5000);
  const deadline = Date.now() + 30_000;
  while (!(await requestJson(nc, subj.ns.route, { topic }, 500).then(() => true, () => false))) {
    if (Date.now() > deadline) throw new Error(`no route for ${topic}: ${group} did not register`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function inspectCost(c: BenchCluster, sizes: Sizes): Promise<Row> {
  // a quick run's send count is too short to compare: at least 40 chunks each
  const chunks = Math.max(40, Math.ceil(sizes.produce / CHUNK));
  const brokers = await Promise.all(modes.map((mode) => c.startOtherBroker(`inspect-${mode}`, { RBUS_INSPECT: mode })));
  const body = new Uint8Array(100).fill(97);
  const ms = { nats: 0, off: 0 };
  let events = 0;
  const sub = c.nc.subscribe(subjects().inspectAll, { callback: () => void events++ });
  let duringSends = 0;
  try {
    for (const mode of modes) await topicOn(c.nc, `inspect-${mode}`, `inspect-${mode}`);
    const producer = await startProducer(c.nc);
    for (const mode of modes) await sendAll(producer, `inspect-${mode}`, 2 * CHUNK, () => body); // warm-up, routes
    progress(`(i) sendAsync × ${chunks * CHUNK} to a broker with RBUS_INSPECT=nats and as many to one with off, alternating ${CHUNK} at a time`);
    for (let i = 0; i < chunks; i++) {
      // the order turns each chunk, so a drift in the machine's load favours neither
      for (const mode of i % 2 ? modes : ([...modes].reverse() as typeof modes[number][])) {
        const before = events;
        ms[mode] += await sendAll(producer, `inspect-${mode}`, CHUNK, () => body);
        duringSends += events - before;
      }
    }
    await producer.close();
  } finally {
    sub.unsubscribe();
    for (const b of brokers) await b.stop();
  }
  const on = rate(chunks * CHUNK, ms.nats);
  const off = rate(chunks * CHUNK, ms.off);
  progress(`(i) inspection on: ${Math.round(on)} msgs/s, off: ${Math.round(off)} msgs/s (${(on / off).toFixed(3)}×)`);
  return {
    scenario: "(i) send, 100 B: inspection on (default) vs RBUS_INSPECT=off",
    metric: "throughput",
    unit: "msgs/s",
    rocketbus: on,
    ceiling: off,
    higherIsBetter: true,
    target: `on ≥ ${TARGET}× off`,
    met: on >= TARGET * off,
    note:
      `Rocketbus column: a broker on RBUS_INSPECT=nats (the default), rbus.inspect.> watched; ceiling column: a broker on RBUS_INSPECT=off; ` +
      `${chunks * CHUNK} sends each, in alternating chunks of ${CHUNK}; ${duringSends} inspect events arrived during the timed sends (no machine changes state per message)`,
  };
}
