// rbus progress: how far a consumer group got on each queue of a topic,
// and how far behind it is (lag = the queue's end − the committed offset).
import { BrokerClient } from "../client/broker-client.js";
import { brokerAddress, RouteCache } from "../client/route-cache.js";
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../client/admin.js";
import { required } from "./args.js";
import { withNats } from "./connected.js";
import { hint } from "./nearest.js";
import type { NatsFlags } from "./options.js";
import { replicaStatuses } from "./replica-status.js";
import { table } from "./table.js";
import { withTopicHint } from "./topic-hint.js";

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

export async function progressCommand(group: string, values: NatsFlags & { topic?: string; json: boolean }): Promise<void> {
  const topic = required(values.topic, "topic");
  await withNats(values, async (nc) => {
    const routes = new RouteCache(nc, { prefix: values.prefix });
    const brokers = new BrokerClient(nc, routes, { prefix: values.prefix });
    const route = await withTopicHint(nc, values.prefix, topic, () => routes.get(topic));
    const rows: QueueLag[] = [];
    for (const g of route.groups) {
      if (!brokerAddress(route, g.group)) continue;
      for (const q of await brokers.queryTopicOffsets(group, topic, g.group)) {
        const from = q.offset < 0 ? q.minOffset : q.offset;
        rows.push({ broker: g.group, queueId: q.queueId, minOffset: q.minOffset, maxOffset: q.maxOffset, committed: q.offset, lag: Math.max(0, q.maxOffset - from) });
      }
    }
    if (rows.every((r) => r.committed < 0)) await mustBeKnown(nc, values.prefix, group, topic);
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

/**
 * A group that never committed on the topic is a typo unless some client is
 * in it now: the brokers' status lists the groups with live members.
 */
async function mustBeKnown(nc: NatsConnection, prefix: string, group: string, topic: string): Promise<void> {
  const { brokers } = await new Admin(nc, { prefix }).cluster();
  const live = new Set<string>();
  for (const status of (await replicaStatuses(nc, prefix, brokers)).values()) {
    for (const g of (status as { consumerGroups?: Array<{ group: string }> }).consumerGroups ?? []) live.add(g.group);
  }
  if (live.has(group)) return;
  throw new Error(`consumer group "${group}" has no members and never committed on ${topic}${hint(group, [...live], "groups with members")} (a broadcasting group keeps its offsets in its clients)`);
}
