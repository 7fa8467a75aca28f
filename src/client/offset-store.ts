// Where a consumer keeps how far it got (RocketMQ's OffsetStore): on the
// brokers in clustering mode (RemoteBrokerOffsetStore), locally in
// broadcasting mode (LocalFileOffsetStore), in memory or in a file.
// `update` only remembers; `flush` commits what changed since the last flush.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { BrokerClient } from "./broker-client.js";
import { queueKey, type MessageQueue } from "./route-cache.js";

export interface OffsetStore {
  /** The committed offset (the next message to consume), or undefined when none was ever committed. */
  read(q: MessageQueue): Promise<number | undefined>;
  update(q: MessageQueue, offset: number): void;
  /** Commits the changed offsets of `queues` (all when omitted); failures stay pending for the next flush. */
  flush(queues?: readonly MessageQueue[]): Promise<void>;
  /** A reset moved the queue to `epoch`: what is pending for it goes, and later commits carry the new epoch. */
  forget?(q: MessageQueue, epoch: number): void;
  /**
   * The fencing token of the queue's lock (orderly consumers), carried by its
   * later commits; undefined: none. What is pending under another token goes.
   */
  lockToken?(q: MessageQueue, token: number | undefined): void;
}

interface Pending {
  q: MessageQueue;
  offset: number;
  /** The reset epoch the position was read under: the master refuses it after a newer reset. */
  epoch: number;
  /** The lock token it was reached under (orderly): the master refuses it under another grant. */
  lock: number | undefined;
}

/** A queue whose commit the master refused: a reset came after the position (this member missed its notice). */
export type StaleQueue = (q: MessageQueue) => void;

export class BrokerOffsetStore implements OffsetStore {
  private readonly pending = new Map<string, Pending>();
  /** Each queue's reset epoch as this member knows it (from offset.query and reset notices). */
  private readonly epochs = new Map<string, number>();
  /** Each orderly queue's lock token. */
  private readonly locks = new Map<string, number>();

  constructor(
    private readonly brokers: BrokerClient,
    private readonly consumerGroup: string,
    private readonly onError: (err: unknown, group: string) => void = () => {},
    private readonly onStale: StaleQueue = () => {},
    /** Sent with each commit, so a master can refuse one for a queue another member has locked. */
    private readonly clientId?: string,
  ) {}

  async read(q: MessageQueue): Promise<number | undefined> {
    const p = await this.brokers.queryOffset(this.consumerGroup, q);
    this.epochs.set(queueKey(q), Math.max(p.epoch ?? 0, this.epochs.get(queueKey(q)) ?? 0));
    return p.offset < 0 ? undefined : p.offset;
  }

  update(q: MessageQueue, offset: number): void {
    const key = queueKey(q);
    this.pending.set(key, { q, offset, epoch: this.epochs.get(key) ?? 0, lock: this.locks.get(key) });
  }

  lockToken(q: MessageQueue, token: number | undefined): void {
    const key = queueKey(q);
    if (token === undefined) this.locks.delete(key);
    else this.locks.set(key, token);
    // reached under another grant (or none): the master would refuse it, and it must not be sent again
    if (this.pending.get(key)?.lock !== token) this.pending.delete(key);
  }

  /** The queue's reset epoch as this member knows it. */
  epoch(q: MessageQueue): number {
    return this.epochs.get(queueKey(q)) ?? 0;
  }

  forget(q: MessageQueue, epoch: number): void {
    const key = queueKey(q);
    this.pending.delete(key);
    this.epochs.set(key, Math.max(epoch, this.epochs.get(key) ?? 0));
  }

  async flush(queues?: readonly MessageQueue[]): Promise<void> {
    const wanted = queues ? new Set(queues.map(queueKey)) : undefined;
    const byGroup = new Map<string, Array<[string, Pending]>>();
    for (const [key, p] of this.pending) {
      if (wanted && !wanted.has(key)) continue;
      const list = byGroup.get(p.q.group) ?? [];
      list.push([key, p]);
      byGroup.set(p.q.group, list);
    }
    await Promise.all(
      [...byGroup].map(async ([group, list]) => {
        try {
          const entries = list.map(([, p]) => ({
            topic: p.q.topic, queueId: p.q.queueId, offset: p.offset, ...(p.epoch > 0 ? { epoch: p.epoch } : {}), ...(p.lock === undefined ? {} : { lock: p.lock }),
          }));
          const stale = await this.brokers.commit(this.consumerGroup, group, entries, this.clientId);
          // Keep anything updated while the commit was in flight.
          for (const [key, p] of list) if (this.pending.get(key) === p) this.pending.delete(key);
          for (const s of stale) {
            const q = { topic: s.topic, group, queueId: s.queueId };
            // refused for an epoch this member already moved past: the reset is handled; else it missed the notice
            if (s.epoch > (this.epochs.get(queueKey(q)) ?? 0)) this.onStale(q);
          }
        } catch (err) {
          this.onError(err, group);
        }
      }),
    );
  }
}

/** Offsets kept by this client alone (broadcasting): in memory, and in `file` (JSON) when given. */
export class LocalOffsetStore implements OffsetStore {
  private readonly offsets = new Map<string, number>();
  private dirty = false;

  constructor(private readonly file?: string) {
    if (!file) return;
    try {
      const saved = JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
      for (const [k, v] of Object.entries(saved)) if (Number.isSafeInteger(v)) this.offsets.set(k, v);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }

  async read(q: MessageQueue): Promise<number | undefined> {
    return this.offsets.get(queueKey(q));
  }

  update(q: MessageQueue, offset: number): void {
    if (this.offsets.get(queueKey(q)) === offset) return;
    this.offsets.set(queueKey(q), offset);
    this.dirty = true;
  }

  async flush(): Promise<void> {
    if (!this.file || !this.dirty) return;
    this.dirty = false;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.offsets)));
    renameSync(tmp, this.file);
  }
}
