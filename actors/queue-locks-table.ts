// The master's queue locks (RocketMQ's RebalanceLockManager): per consumer
// group, (topic, queueId) → {clientId, expiresAt}. Pure: time comes in as
// `now`, so the lease arithmetic is tested with plain numbers.
//
// A lock is granted to a member when nobody holds it or its holder's lease
// has run out; the holder's own request renews it. For one lease after this
// replica became master (or started) only renewals are taken: a member
// may hold a lock granted by the previous master, and nothing here says who.

export interface QueueRef {
  topic: string;
  queueId: number;
}

export interface LockAsk extends QueueRef {
  /** The asker says it holds the lock now (a renewal). */
  held?: boolean;
}

export interface LockHolder {
  clientId: string;
  expiresAt: number;
  /** The grant's fencing token: new at each grant, kept by renewals. */
  token: number;
}

/** A random start, so a replica's tokens do not repeat another's or its own last life's. */
const randomTokens = () => {
  let next = Math.floor(Math.random() * 0x7fffffff);
  return () => (next = (next + 1) % 0x7fffffff) + 1;
};

const keyOf = (q: QueueRef) => `${q.topic}\u0000${q.queueId}`;

export class QueueLockTable {
  private readonly groups = new Map<string, Map<string, LockHolder & QueueRef>>();
  /** New claims wait until then; renewals do not. */
  private quietUntil: number;

  constructor(
    readonly leaseMs: number,
    now: number,
    private readonly newToken: () => number = randomTokens(),
  ) {
    this.quietUntil = now + leaseMs;
  }

  /** This replica became master: it knows nothing its predecessor granted. */
  becameMaster(now: number): void {
    this.groups.clear();
    this.quietUntil = now + this.leaseMs;
  }

  /** This replica is no longer master: it grants nothing, and keeps nothing for later. */
  clear(): void {
    this.groups.clear();
  }

  /** Whether only renewals are taken now. */
  quiet(now: number): boolean {
    return now < this.quietUntil;
  }

  /**
   * Grants or renews what it can; the queues `clientId` holds afterwards, of
   * those asked, with their tokens. `mayBeHeld` false: the group is known to
   * have locked nothing before this table began (no quiet lease for it).
   */
  lock(group: string, clientId: string, asks: readonly LockAsk[], now: number, mayBeHeld = true): Array<QueueRef & { token: number }> {
    let table = this.groups.get(group);
    const quiet = mayBeHeld && this.quiet(now);
    const locked: Array<QueueRef & { token: number }> = [];
    for (const a of asks) {
      const key = keyOf(a);
      const cur = table?.get(key);
      const mine = cur !== undefined && cur.clientId === clientId && cur.expiresAt > now;
      const free = cur === undefined || cur.expiresAt <= now;
      if (!mine && !(free && (!quiet || a.held === true))) continue;
      if (!table) this.groups.set(group, (table = new Map()));
      // a renewal keeps its token; a grant gets a new one, whatever the asker says it held
      const token = mine ? cur.token : this.newToken();
      table.set(key, { topic: a.topic, queueId: a.queueId, clientId, expiresAt: now + this.leaseMs, token });
      locked.push({ topic: a.topic, queueId: a.queueId, token });
    }
    return locked;
  }

  /** Releases the queues `clientId` holds of those named; how many it released. */
  unlock(group: string, clientId: string, queues: readonly QueueRef[]): number {
    const table = this.groups.get(group);
    if (!table) return 0;
    let n = 0;
    for (const q of queues) {
      const key = keyOf(q);
      if (table.get(key)?.clientId !== clientId) continue;
      table.delete(key);
      n++;
    }
    if (table.size === 0) this.groups.delete(group);
    return n;
  }

  /** Members not in `members` (gone from the consumer table) lose their locks. */
  retain(group: string, members: readonly string[]): void {
    const table = this.groups.get(group);
    if (!table) return;
    const live = new Set(members);
    for (const [key, h] of table) if (!live.has(h.clientId)) table.delete(key);
    if (table.size === 0) this.groups.delete(group);
  }

  /** The holder of each queue of `group` whose lease has not run out, as "topic\u0000queueId" → holder. */
  holders(group: string, now: number): Map<string, LockHolder> {
    const out = new Map<string, LockHolder>();
    for (const [key, h] of this.groups.get(group) ?? []) if (h.expiresAt > now) out.set(key, { clientId: h.clientId, expiresAt: h.expiresAt, token: h.token });
    return out;
  }

  /** The holder of one queue whose lease has not run out. */
  holder(group: string, q: QueueRef, now: number): LockHolder | undefined {
    const h = this.groups.get(group)?.get(keyOf(q));
    return h !== undefined && h.expiresAt > now ? { clientId: h.clientId, expiresAt: h.expiresAt, token: h.token } : undefined;
  }

  /** Whether any member of `group` holds or held a lock here (since the last sweep): the group consumes orderly. */
  locking(group: string): boolean {
    return this.groups.has(group);
  }

  /** Drops leases that ran out (memory only: an expired lease is already free). */
  sweep(now: number): void {
    for (const [group, table] of this.groups) {
      for (const [key, h] of table) if (h.expiresAt <= now) table.delete(key);
      if (table.size === 0) this.groups.delete(group);
    }
  }
}

export { keyOf as lockKey };
