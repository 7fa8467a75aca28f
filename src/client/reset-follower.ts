// A member's side of offset.reset (RocketMQ's RESET_CONSUMER_CLIENT_OFFSET):
// a master publishes on rbus.events.reset.<group> which queues it moved;
// for each queue this member holds, it asks that master for the queue's
// offset and reset epoch, and when the epoch is newer than the one it read
// under, drops what it buffered and reads from the master's offset. The
// notice only says whom to ask: a forged or repeated one moves nothing. A
// member that missed the notice learns the same from its next commit,
// which the master refuses as stale (offset-store.ts calls recheck).
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { decodeOffsetResetNotice, type OffsetResetNotice } from "../protocol/index.js";
import type { Logger } from "../runtime/log.js";
import { subscribeJson } from "../runtime/subscribe.js";
import type { BrokerClient } from "./broker-client.js";
import type { BrokerOffsetStore } from "./offset-store.js";
import type { ProcessQueue } from "./process-queue.js";
import { queueKey, type MessageQueue } from "./route-cache.js";

export interface ResetFollowerOptions {
  nc: NatsConnection;
  /** rbus.events.reset.<consumer group>. */
  subject: string;
  consumerGroup: string;
  brokers: BrokerClient;
  offsets: BrokerOffsetStore;
  log: Logger;
  /** The process queue this member holds under `key`, if any. */
  held(key: string): ProcessQueue | undefined;
}

export class ResetFollower {
  private readonly sub: Subscription;
  /** Queues being asked about; a notice meanwhile asks once more after. */
  private readonly asking = new Map<string, boolean>();

  constructor(private readonly o: ResetFollowerOptions) {
    this.sub = subscribeJson(o.nc, o.subject, (n) => this.notice(n), { log: o.log, decode: decodeOffsetResetNotice });
  }

  close(): void {
    this.sub.unsubscribe();
  }

  private notice(n: OffsetResetNotice): void {
    if (n.group !== this.o.consumerGroup) return;
    for (const q of n.queues) {
      const mq: MessageQueue = { topic: n.topic, group: n.broker, queueId: q.queueId };
      // a queue another member holds, or an epoch this member is past already: nothing to do
      if (!this.o.held(queueKey(mq)) || q.epoch <= this.o.offsets.epoch(mq)) continue;
      void this.recheck(mq);
    }
  }

  /** Asks the queue's master for its offset and epoch, and moves the queue when the epoch is newer than the member's. */
  async recheck(q: MessageQueue): Promise<void> {
    const key = queueKey(q);
    if (this.asking.has(key)) {
      this.asking.set(key, true);
      return;
    }
    this.asking.set(key, false);
    try {
      do {
        this.asking.set(key, false);
        await this.moveIfReset(q, key);
      } while (this.asking.get(key) === true);
    } finally {
      this.asking.delete(key);
    }
  }

  private async moveIfReset(q: MessageQueue, key: string): Promise<void> {
    if (!this.o.held(key)) return;
    try {
      const p = await this.o.brokers.queryOffset(this.o.consumerGroup, q);
      const epoch = p.epoch ?? 0;
      const pq = this.o.held(key);
      if (!pq || pq.isDropped || epoch <= this.o.offsets.epoch(q) || p.offset < 0) return;
      this.o.offsets.forget(q, epoch);
      pq.resetTo(p.offset);
      this.o.log.info("offsets reset: reading from the new offset", { queue: key, offset: p.offset, epoch });
    } catch (err) {
      this.o.log.warn("offsets reset: the master did not answer; the next commit finds the reset", { queue: key, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
