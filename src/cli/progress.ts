// rbus progress: how far a consumer group got on each queue of a topic,
// and how far behind it is (lag = the queue's end − the committed offset).
import { BrokerClient } from "../client/broker-client.js";
import { brokerAddress, RouteCache } from "../client/route-cache.js";
import { natsOption, parse, prefixOption, required, UsageError } from "./args.js";
import { withNats } from "./connected.js";
import { table } from "./table.js";

const usage = "rbus progress <group> --topic <t> [--json]";

export interface QueueLag {
  broker: string;
  queueId: number;
  minOffset: number;
  maxOffset: number;
  /** -1 when the group never committed on this queue. */
  committed: number;
  /** Messages not yet consumed: from the committed offset (or the queue's start) to its end. */
  lag: number;
}

export async function progressCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { ...natsOption, ...prefixOption, topic: { type: "string" }, json: { type: "boolean", default: false } }, usage);
  const group = positionals[0];
  if (!group || positionals.length > 1) throw new UsageError(`give exactly one consumer group\nusage: ${usage}`);
  const topic = required(values.topic, "topic", usage);
  await withNats(values, async (nc) => {
    const routes = new RouteCache(nc, { prefix: values.prefix });
    const brokers = new BrokerClient(nc, routes, { prefix: values.prefix });
    const route = await routes.get(topic);
    const rows: QueueLag[] = [];
    for (const g of route.groups) {
      if (!brokerAddress(route, g.group)) continue;
      for (const q of await brokers.queryTopicOffsets(group, topic, g.group)) {
        const from = q.offset < 0 ? q.minOffset : q.offset;
        rows.push({ broker: g.group, queueId: q.queueId, minOffset: q.minOffset, maxOffset: q.maxOffset, committed: q.offset, lag: Math.max(0, q.maxOffset - from) });
      }
    }
    const total = rows.reduce((s, r) => s + r.lag, 0);
    if (values.json) {
      console.log(JSON.stringify({ group, topic, totalLag: total, queues: rows }, null, 2));
      return;
    }
    console.log(`Consumer group ${group} on ${topic}:`);
    console.log(
      table(
        ["BROKER", "QUEUE", "BROKER OFFSET", "CONSUMER OFFSET", "LAG"],
        rows.map((r) => [r.broker, String(r.queueId), String(r.maxOffset), r.committed < 0 ? "-" : String(r.committed), String(r.lag)]),
      ),
    );
    console.log(`total lag: ${total}`);
  });
}
