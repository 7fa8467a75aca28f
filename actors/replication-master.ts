// The master's half of replication: answers slaves' ha.fetch with chunks
// of its commit log, holds a fetch while the slave is caught up (long
// poll), and advances the commit offset to what a majority holds. The
// offset a slave asks for acknowledges everything before it (the seed's
// design, and KRaft's): there is no separate ack message.
//
// Commit follows Raft's rule: an offset counts only once the majority
// holds the current term's start record, so a new master never commits an
// older term's tail by counting replicas alone.
import { commitOffset } from "../machines/quorum.js";
import { FetchStatus, type FetchHead, type FetchRequest } from "../src/protocol/index.js";
import type { MessageStore } from "../src/store/index.js";
import type { Clock } from "./group-transport.js";

export type CommitOutcome = "committed" | "not-master" | "timeout";

interface Waiter {
  end: number;
  resolve: (outcome: CommitOutcome) => void;
  timer: unknown;
}

interface Hold {
  wake: () => void;
}

export interface FollowerState {
  replica: number;
  /** Where the follower's log ends, by its last fetch. */
  end: number;
  /** When its last fetch arrived (clock ms). */
  at: number;
}

export class MasterDuty {
  private readonly followers = new Map<number, FollowerState>();
  private readonly waiters: Waiter[] = [];
  private readonly holds = new Set<Hold>();
  private readonly unsubscribe: () => void;
  private active = false;
  /** The end of this term's start record: nothing at or below it commits by counting before it does. */
  private termStart = Number.MAX_SAFE_INTEGER;

  constructor(
    private readonly store: MessageStore,
    private readonly replicas: number,
    private readonly clock: Clock,
    /** What this replica itself holds: its log end, or under sync flush what is on its disk. */
    private readonly ownEnd: () => number = () => store.maxPhysicalOffset,
  ) {
    this.unsubscribe = store.onAppended(() => this.wakeAll());
  }

  /** Becomes master of a term whose start record ends at `termStart`. */
  activate(termStart: number): void {
    this.followers.clear();
    this.termStart = termStart;
    this.active = true;
    this.advance();
  }

  /** No longer master: waiting sends learn it, held fetches are answered. */
  deactivate(): void {
    this.active = false;
    this.termStart = Number.MAX_SAFE_INTEGER;
    for (const w of this.waiters.splice(0)) this.settle(w, "not-master");
    this.wakeAll();
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Whether `replica` is an id of this group (0..replicas-1): only those count toward a majority. */
  isMember(replica: number): boolean {
    return Number.isInteger(replica) && replica >= 0 && replica < this.replicas;
  }

  /** Resolves once `end` is committed, or when this replica stops being master, or after timeoutMs. */
  waitCommitted(end: number, timeoutMs: number): Promise<CommitOutcome> {
    // the followers may have acknowledged before this replica's own fsync finished
    this.advance();
    if (end <= this.store.commitOffset) return Promise.resolve("committed");
    if (!this.active) return Promise.resolve("not-master");
    return new Promise((resolve) => {
      const w: Waiter = { end, resolve, timer: undefined };
      w.timer = this.clock.set(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve("timeout");
      }, timeoutMs);
      // appends end in increasing order, so the list stays sorted by end
      let i = this.waiters.length;
      while (i > 0 && this.waiters[i - 1]!.end > end) i--;
      this.waiters.splice(i, 0, w);
    });
  }

  /**
   * Checks a slave's fetch against this log. Returns the reply's head when the
   * slave must truncate or start over, undefined when its log is a prefix of ours.
   */
  divergence(req: FetchRequest, head: Omit<FetchHead, "status">): FetchHead | undefined {
    const store = this.store;
    if (req.offset === 0 && req.lastTerm === 0) return store.minPhysicalOffset > 0 ? { ...head, status: FetchStatus.reset, truncateTo: store.minPhysicalOffset } : undefined;
    const diverged = newestTermAtOrBefore(store.terms(), req.lastTerm);
    const ends = store.endOffsetForTerm(diverged);
    if (diverged === req.lastTerm && req.offset <= ends) {
      return req.offset < store.minPhysicalOffset ? { ...head, status: FetchStatus.reset, truncateTo: store.minPhysicalOffset } : undefined;
    }
    return { ...head, status: FetchStatus.truncate, truncateTo: ends, divergedTerm: diverged };
  }

  /** Records what a follower holds (the offset it asks for) and advances the commit offset. */
  acknowledge(replica: number, end: number): void {
    this.followers.set(replica, { replica, end, at: this.clock.now() });
    this.advance();
  }

  /** Waits for something past `offset` to be appended, at most waitMs. */
  hold(offset: number, waitMs: number): Promise<void> {
    if (offset < this.store.maxPhysicalOffset || waitMs <= 0 || !this.active) return Promise.resolve();
    return new Promise((resolve) => {
      const h: Hold = {
        wake: () => {
          this.clock.clear(timer);
          this.holds.delete(h);
          resolve();
        },
      };
      const timer = this.clock.set(h.wake, waitMs);
      this.holds.add(h);
    });
  }

  followerStates(): FollowerState[] {
    return [...this.followers.values()].sort((a, b) => a.replica - b.replica);
  }

  /** A follower that holds everything this master has. */
  caughtUp(replica: number): boolean {
    return (this.followers.get(replica)?.end ?? -1) >= this.store.maxPhysicalOffset;
  }

  stop(): void {
    this.deactivate();
    this.unsubscribe();
  }

  private advance(): void {
    if (!this.active) return;
    const ends = [this.ownEnd(), ...[...this.followers.values()].map((f) => f.end)];
    const majority = commitOffset(ends, this.replicas);
    if (majority < this.termStart) return;
    if (majority > this.store.commitOffset) {
      this.store.setCommitOffset(majority);
      // slaves held on an idle log learn the new commit offset now, not a poll later (their consumers see it sooner)
      this.wakeAll();
    }
    const commit = this.store.commitOffset;
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.end <= commit) n++;
    for (const w of this.waiters.splice(0, n)) this.settle(w, "committed");
  }

  private settle(w: Waiter, outcome: CommitOutcome): void {
    this.clock.clear(w.timer);
    w.resolve(outcome);
  }

  private wakeAll(): void {
    for (const h of [...this.holds]) h.wake();
  }
}

/** The newest term of a log's history at or before `term` (0 when none is). */
export function newestTermAtOrBefore(terms: ReadonlyArray<{ term: number }>, term: number): number {
  let best = 0;
  for (const t of terms) if (t.term <= term && t.term > best) best = t.term;
  return best;
}
