// The member's side of the queue locks (RocketMQ's RebalanceImpl.lock /
// lockAll): the queues it wants, locked on the master of their broker
// group, renewed together in one lock.batch per broker group.
//
// Trust: a lock is trusted until sentAt + min(liveMs, validMs / 2), sentAt
// being when the request that granted it was sent (before the master read
// it), validMs what the master promised from its reading (the lease, or less
// when the member's heartbeat runs out first). So the member stops trusting
// a lock at least validMs / 2 before the master may give it to anyone else,
// whatever the delay of the reply; the other half covers a listener call
// begun just in time and clocks that run at slightly different rates.
// With RocketMQ's figures (lease 60 s) that is its 30 s
// REBALANCE_LOCK_MAX_LIVE_TIME. Renewal comes every renewMs, or at half the
// trust when that is sooner; a wanted queue not held is asked again every
// retryMs.
import type { NatsConnection } from "@nats-io/transport-node";
import { encodeJson, ErrorCode, RbusError, scopedApi, type GroupScopedApi, type LockBatchReply, type LockQueue } from "../protocol/index.js";
import { decodeReply, natsError } from "../runtime/request.js";
import type { Logger } from "../runtime/log.js";
import type { BrokerClient } from "./broker-client.js";
import { queueKey, type MessageQueue } from "./route-cache.js";

export interface QueueLockOptions {
  /** Renew held locks this often (RocketMQ: 20 s). */
  renewMs?: number;
  /** Trust a lock at most this long after the request that granted it (RocketMQ: 30 s). */
  liveMs?: number;
  /** Ask again for a wanted queue not held this often. */
  retryMs?: number;
  /** A lock or unlock request's timeout. */
  timeoutMs?: number;
}

interface Wanted {
  q: MessageQueue;
  trustedUntil: number;
  /** The grant's fencing token (LockBatchReply): new at each grant, kept by renewals. */
  token: number | undefined;
}

interface BrokerGroup {
  nextAt: number;
  asking: boolean;
}

export class QueueLocks {
  private readonly wanted = new Map<string, Wanted>();
  private readonly groups = new Map<string, BrokerGroup>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly o: Required<QueueLockOptions>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly brokers: BrokerClient,
    private readonly consumerGroup: string,
    private readonly clientId: string,
    private readonly log: Logger,
    /** Called when any lock is gained or lost (or released). */
    private readonly onChange: () => void,
    opts: QueueLockOptions = {},
  ) {
    this.o = { renewMs: opts.renewMs ?? 20_000, liveMs: opts.liveMs ?? 30_000, retryMs: opts.retryMs ?? 1000, timeoutMs: opts.timeoutMs ?? 3000 };
  }

  /** Whether `q`'s lock is trusted now. */
  isLocked(q: MessageQueue, now = Date.now()): boolean {
    return (this.wanted.get(queueKey(q))?.trustedUntil ?? 0) > now;
  }

  /** The fencing token of `q`'s grant: a new one means the master granted it afresh (its offset may have moved). */
  token(q: MessageQueue): number | undefined {
    return this.wanted.get(queueKey(q))?.token;
  }

  /** Milliseconds until `q`'s lock stops being trusted (0 when it is not). */
  trustLeft(q: MessageQueue, now = Date.now()): number {
    return Math.max(0, (this.wanted.get(queueKey(q))?.trustedUntil ?? 0) - now);
  }

  /** Locks `q` as soon as the master grants it, and keeps it renewed. */
  want(q: MessageQueue): void {
    if (this.closed) return;
    const key = queueKey(q);
    if (!this.wanted.has(key)) this.wanted.set(key, { q, trustedUntil: 0, token: undefined });
    this.due(q.group, Date.now());
  }

  /** Stops trusting and renewing `queues` and unlocks them on their masters (a failed unlock runs out with its lease). */
  async release(queues: readonly MessageQueue[]): Promise<void> {
    const byGroup = new Map<string, MessageQueue[]>();
    for (const q of queues) {
      if (!this.wanted.delete(queueKey(q))) continue;
      byGroup.set(q.group, [...(byGroup.get(q.group) ?? []), q]);
    }
    if (byGroup.size > 0) this.onChange();
    await Promise.all([...byGroup].map(async ([group, list]) => {
      try {
        await this.ask("unlock.batch", group, list.map((q) => ({ topic: q.topic, queueId: q.queueId })));
      } catch (err) {
        this.log.warn("unlock failed; the locks run out with their lease", { broker: group, queues: list.map(queueKey), error: errorText(err) });
      }
    }));
  }

  /** Stops trusting and renewing `q` without unlocking it: its lease runs out on the master. */
  forget(q: MessageQueue): void {
    if (this.wanted.delete(queueKey(q))) this.onChange();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.onChange();
  }

  /** Asks `group` at `at` (or sooner if already due), and re-arms the timer. */
  private due(group: string, at: number): void {
    const g = this.groups.get(group) ?? { nextAt: at, asking: false };
    g.nextAt = Math.min(g.nextAt, at);
    this.groups.set(group, g);
    this.arm();
  }

  private arm(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    let next = Infinity;
    for (const g of this.groups.values()) if (!g.asking) next = Math.min(next, g.nextAt);
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    for (const [group, g] of this.groups) if (!g.asking && g.nextAt <= now) void this.renew(group, g);
    this.arm();
  }

  /** One lock.batch for every wanted queue of `group`: held ones as renewals. */
  private async renew(group: string, g: BrokerGroup): Promise<void> {
    const mine = [...this.wanted.values()].filter((w) => w.q.group === group);
    if (mine.length === 0) {
      this.groups.delete(group);
      return;
    }
    g.asking = true;
    const sentAt = Date.now();
    let next = sentAt + this.o.retryMs;
    try {
      const reply = (await this.ask("lock.batch", group, mine.map((w) => ({ topic: w.q.topic, queueId: w.q.queueId, ...(w.trustedUntil > sentAt ? { held: true } : {}) })))) as LockBatchReply;
      const granted = new Map(reply.locked.map((l) => [`${l.topic}\u0000${l.queueId}`, l.token]));
      const trust = Math.min(this.o.liveMs, Math.floor(reply.validMs / 2));
      let changed = false;
      let missing = false;
      for (const w of mine) {
        if (this.wanted.get(queueKey(w.q)) !== w) continue; // released meanwhile
        const was = w.trustedUntil > Date.now();
        const token = granted.get(`${w.q.topic}\u0000${w.q.queueId}`);
        if (token !== undefined) {
          w.trustedUntil = sentAt + trust;
          changed ||= w.token !== token;
          w.token = token;
        } else {
          // the master says someone else holds it (or it took nothing new): stop at once
          if (was) this.log.warn("queue lock lost", { queue: queueKey(w.q) });
          w.trustedUntil = 0;
          missing = true;
        }
        changed ||= was !== w.trustedUntil > Date.now();
      }
      next = missing ? sentAt + this.o.retryMs : sentAt + Math.max(1, Math.min(this.o.renewMs, Math.floor(trust / 2)));
      if (missing && trust > 0) next = Math.min(next, sentAt + Math.max(1, Math.floor(trust / 2)));
      if (changed) this.onChange();
    } catch (err) {
      this.log.debug("lock request failed; asked again", { broker: group, error: errorText(err) });
    } finally {
      g.asking = false;
      g.nextAt = next;
      this.arm();
    }
  }

  private async ask(api: GroupScopedApi, group: string, queues: LockQueue[]): Promise<unknown> {
    const topic = queues[0]!.topic;
    const address = await this.brokers.address(topic, group);
    const subject = this.brokers.subj.brokerApi(address, scopedApi(api, this.consumerGroup));
    try {
      const msg = await this.nc.request(subject, encodeJson({ group: this.consumerGroup, clientId: this.clientId, queues }), { timeout: this.o.timeoutMs });
      return decodeReply<unknown>(msg);
    } catch (err) {
      // a master that moved or went: the next ask reads a fresh route
      if (!(err instanceof RbusError) || err.code === ErrorCode.NOT_MASTER || err.code === ErrorCode.NO_RESPONDERS || err.code === ErrorCode.TIMEOUT) {
        this.brokers.routes.invalidate(topic);
      }
      throw err instanceof RbusError ? err : natsError(err, subject);
    }
  }
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
