// The commit offset and what it lets readers see. Consumers read only
// records that END at or below the commit offset (in a replicated group:
// what a majority holds; alone: what is appended, or fsynced under sync
// flush). Each consume queue keeps how far it is visible (visible-runs.ts);
// the queues that grew since the last advance wait in a small set, and an
// advance releases those now covered: one comparison per queue when its
// last entry is covered (the usual case), whole append runs from memory
// otherwise, and a binary search only inside the run the commit offset
// falls in. Nothing is done per message.
import type { ConsumeQueue } from "./consume-queue.js";

export type ArrivalListener = (topic: string, queueId: number, maxOffset: number) => void;

export class Visibility {
  private commit: number;
  /** Queues with entries past what readers see. */
  private readonly pending = new Set<ConsumeQueue>();
  readonly listeners = new Set<ArrivalListener>();

  constructor(commit: number) {
    this.commit = commit;
  }

  get offset(): number {
    return this.commit;
  }

  /** Queues that gained entries (an append); they become visible at the next advance that covers them. */
  grew(queues: Iterable<ConsumeQueue>): void {
    for (const cq of queues) this.pending.add(cq);
  }

  /** Moves the commit offset up to `to` (never down) and wakes listeners once per queue that gained visible entries. */
  advance(to: number): void {
    if (to > this.commit) this.commit = to;
    if (this.pending.size > 0) this.release();
  }

  /**
   * A store alone under async flush: the commit follows each append, so the
   * queues it grew are visible to their end at once (nothing waits in the set).
   */
  commitAll(grown: Iterable<ConsumeQueue>, to: number): void {
    if (to > this.commit) this.commit = to;
    for (const cq of grown) {
      cq.vis.all(cq.max);
      if (this.listeners.size > 0) for (const l of this.listeners) l(cq.topic, cq.queueId, cq.visibleMax);
    }
  }

  /** After a truncation below the commit offset: the queues were cut already (truncateLogical clamps `visible`). */
  clampTo(offset: number): void {
    if (offset < this.commit) this.commit = offset;
  }

  /** Recomputes every queue against the commit offset (at open, where recovery changed queues without us). */
  resetAll(queues: Iterable<ConsumeQueue>): void {
    for (const cq of queues) {
      cq.vis.forget(cq.min);
      this.pending.add(cq);
    }
    this.release(false);
  }

  private release(wake = true): void {
    const commit = this.commit;
    for (const cq of this.pending) {
      const before = cq.visibleMax;
      cq.vis.advance(commit, cq.max, (from, to) => cq.firstEndingAfter(Math.max(from, cq.min), commit, to));
      if (cq.vis.visible >= cq.max) this.pending.delete(cq);
      const now = cq.visibleMax;
      if (wake && now > before && this.listeners.size > 0) for (const l of this.listeners) l(cq.topic, cq.queueId, now);
    }
  }
}
