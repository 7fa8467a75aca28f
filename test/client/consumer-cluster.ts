// An in-process cluster for consumer tests: a real nats-server, one
// NameServer, broker groups of one master each, a topic with 4 queues per
// group, and a way to send numbered messages to chosen queues.
import { headers } from "@nats-io/transport-node";
import type { ConsumedMessage } from "../../src/client/broker-client.js";
import { readableQueues, type MessageQueue } from "../../src/client/route-cache.js";
import { decodeBatchSendReply } from "../../src/client/producer-message.js";
import { encodeBatch, Header, subjects, type RouteData } from "../../src/protocol/index.js";
import { requestJson } from "../../src/runtime/request.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { waitUntil } from "../harness/wait.js";

export interface ConsumerCluster extends TestCluster {
  queues(topic: string): Promise<MessageQueue[]>;
  /** Creates `topic` with `perGroup` queues on every broker group and waits for its route. */
  createTopic(topic: string, perGroup?: number): Promise<MessageQueue[]>;
  /** Sends `count` messages "<from+i>" round-robin over `queues`, in batches; tags from `tag(i)`. */
  send(topic: string, queues: MessageQueue[], count: number, opts?: { from?: number; tag?: (i: number) => string; batch?: number }): Promise<void>;
}

const subj = subjects();

export async function startConsumerCluster(groups = ["broker-a", "broker-b"]): Promise<ConsumerCluster> {
  const cluster = await startTestCluster(groups, {
    jetstream: false,
    nameServer: { scanIntervalMs: 100, suspectAfterMs: 2000, deadAfterMs: 4000 },
    broker: { heartbeatIntervalMs: 200 },
  });
  const { nc } = cluster;
  const queues = async (topic: string) => readableQueues(await requestJson<RouteData>(nc, subj.ns.route, { topic }));

  return Object.assign(cluster, {
    queues,
    async createTopic(topic: string, perGroup = 4) {
      for (const group of groups) {
        await requestJson(nc, subj.broker(group, 0, "topic.upsert"), { topic, readQueues: perGroup, writeQueues: perGroup, perm: "rw" });
      }
      return waitUntil(`route of ${topic} on every group`, async () => {
        const qs = await queues(topic).catch(() => []);
        return qs.length === groups.length * perGroup && qs;
      });
    },
    async send(topic: string, qs: MessageQueue[], count: number, opts: { from?: number; tag?: (i: number) => string; batch?: number } = {}) {
      const from = opts.from ?? 0;
      const batch = opts.batch ?? 100;
      const h = headers();
      h.set(Header.topic, topic);
      const pending: Array<Promise<unknown>> = [];
      // Message i goes to queue i mod |queues|, so each queue gets an increasing subsequence.
      for (let start = 0; start < count; start += batch * qs.length) {
        for (const [qi, q] of qs.entries()) {
          const entries = [];
          for (let i = start + qi; i < Math.min(count, start + batch * qs.length); i += qs.length) {
            const n = from + i;
            const e: { queueId: number; bornTimestamp: number; body: Uint8Array; tags?: string } = { queueId: q.queueId, bornTimestamp: Date.now(), body: Buffer.from(String(n)) };
            if (opts.tag) e.tags = opts.tag(n);
            entries.push(e);
          }
          if (entries.length === 0) continue;
          pending.push(
            nc.request(subj.broker(q.group, 0, "send.batch"), encodeBatch(entries), { timeout: 5000, headers: h }).then(decodeBatchSendReply),
          );
        }
        if (pending.length >= 64) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
    },
  });
}

/** Received messages, checked for loss, duplicates and per-queue order. */
export class Received {
  readonly bodies: number[] = [];
  private readonly lastOffset = new Map<string, number>();
  /** Per-queue offsets that went backwards (redelivery after a handover counts here too). */
  readonly outOfOrder: string[] = [];

  record(m: ConsumedMessage): void {
    this.bodies.push(Number(m.body.toString()));
    const key = `${m.topic}/${m.group}/${m.queueId}`;
    const last = this.lastOffset.get(key);
    if (last !== undefined && m.queueOffset <= last) this.outOfOrder.push(`${key}: ${m.queueOffset} after ${last}`);
    this.lastOffset.set(key, m.queueOffset);
  }

  get count(): number {
    return this.bodies.length;
  }

  distinct(): number {
    return new Set(this.bodies).size;
  }

  duplicates(): number {
    return this.count - this.distinct();
  }

  missing(total: number, from = 0): number[] {
    const seen = new Set(this.bodies);
    const out: number[] = [];
    for (let i = from; i < from + total; i++) if (!seen.has(i)) out.push(i);
    return out;
  }
}
