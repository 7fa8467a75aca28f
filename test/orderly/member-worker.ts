// One member of an orderly consumer group, as its own process, for
// orderly-members.test.ts: it journals every listener call (begin, end) and
// every offset commit the broker acknowledged, one JSON line each, written
// before it goes on, so a SIGKILL loses nothing already done. SIGTERM
// closes the consumer cleanly (finish, commit, unlock, unregister).
//
//   node member-worker.js <nats-url> <consumer-group> <topic> <member> <journal> <options-json>
import { closeSync, openSync, writeSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import type { BrokerClient } from "../../src/client/broker-client.js";
import { PushConsumer, type PushConsumerOptions } from "../../src/client/push-consumer.js";
import type { JournalEvent } from "./checker.js";

const [url, group, topic, member, journal, optionsJson] = process.argv.slice(2) as [string, string, string, string, string, string];
const options = JSON.parse(optionsJson) as Partial<PushConsumerOptions> & { listenerMs?: number };
const fd = openSync(journal, "a");
const write = (ev: JournalEvent | { e: "ready" | "closed"; m: string; t: number }) => writeSync(fd, `${JSON.stringify(ev)}\n`);

const nc = await connect({ servers: url, name: `orderly-${member}` });
const { listenerMs = 0, ...consumerOptions } = options;
const consumer = new PushConsumer(nc, { group, clientId: member, from: "first", ...consumerOptions });

// every commit the master acknowledged, as the broker client returns it
const brokers = (consumer as unknown as { brokers: BrokerClient }).brokers;
const commit = brokers.commit.bind(brokers);
brokers.commit = async (cg, brokerGroup, entries, clientId) => {
  const stale = await commit(cg, brokerGroup, entries, clientId);
  const refused = new Set(stale.map((s) => `${s.topic}\u0000${s.queueId}`));
  const t = Date.now();
  for (const e of entries) if (!refused.has(`${e.topic}\u0000${e.queueId}`)) write({ e: "commit", m: member, q: e.queueId, o: e.offset, t });
  return stale;
};

consumer.subscribe(topic).onMessage(async (m) => {
  const { k, s } = JSON.parse(m.body.toString()) as { k: string; s: number };
  write({ e: "begin", m: member, k, s, q: m.queueId, o: m.queueOffset, t: Date.now() });
  if (listenerMs > 0) await new Promise((r) => setTimeout(r, listenerMs));
  write({ e: "end", m: member, k, s, q: m.queueId, o: m.queueOffset, t: Date.now() });
});
await consumer.start();
write({ e: "ready", m: member, t: Date.now() });

process.on("SIGTERM", () => {
  void (async () => {
    await consumer.close();
    write({ e: "closed", m: member, t: Date.now() });
    closeSync(fd);
    await nc.close();
    process.exit(0);
  })();
});
