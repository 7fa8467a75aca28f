// What the master knows of the half queue: which halves are settled (and
// by which op record), which wait for an answer, and how far from the
// start everything is settled. Pure bookkeeping: reading the queues and
// writing records is transaction-store.ts's and transaction-settle.ts's.
//
// Progress is two offsets, kept in the replicated consumer-offsets table:
// halfFrom, every half below it settled, and opFrom, an op-queue offset
// at or before the op record of every settled half at or above halfFrom.
// Both only ever name a state that was true, so a replica that starts
// from an older copy of them reads more of the queues, never less. The
// op queue also holds check records (a pending half's unanswered checks
// so far): opFrom stays at or before the last one of every pending half,
// so a rebuild reads each count back.
import type { TransactionAction } from "../src/protocol/index.js";

export interface PendingHalf {
  halfOffset: number;
  commitLogOffset: number;
  producerGroup: string;
  storedAt: number;
  /** Unanswered checks so far, as the op queue's check records keep them across masters and restarts. */
  checks: number;
  /** The op-queue offset of its last check record: opFrom does not pass it while the half waits. */
  checkOp?: number;
  /** A check is out for it now. */
  asking: boolean;
  /** The last check pass that took it (the service's count). */
  pass: number;
}

interface Settled {
  action: TransactionAction;
  opOffset: number;
  /** Commit-log end after the op record: progress passes it only once committed there. */
  end: number;
}

/** How many settled halves below halfFrom keep their action, for the "already settled by" reply. */
const RECENT = 10_000;

export class TransactionLedger {
  readonly pending = new Map<number, PendingHalf>();
  private readonly settled = new Map<number, Settled>();
  /** Halves being settled now: a second settle meanwhile is refused, never written twice. */
  private readonly settling = new Map<number, TransactionAction>();
  private readonly recent = new Map<number, TransactionAction>();
  /** Check records read before their half (a rebuild reads the op queue first). */
  private readonly counted = new Map<number, { checks: number; opOffset: number }>();

  constructor(
    public halfFrom: number,
    public opFrom: number,
    /** Next half-queue offset to read. */
    public halfScanned = halfFrom,
  ) {}

  /** How the half at `halfOffset` was (or is being) settled; undefined when it is not. "earlier": before what this replica remembers. */
  settledAs(halfOffset: number): TransactionAction | "earlier" | undefined {
    const s = this.settled.get(halfOffset)?.action ?? this.settling.get(halfOffset) ?? this.recent.get(halfOffset);
    if (s !== undefined) return s;
    return halfOffset < this.halfFrom ? "earlier" : undefined;
  }

  /** An op record read from the op queue (at rebuild): its half is settled. */
  noteOp(halfOffset: number, action: TransactionAction, opOffset: number): void {
    if (halfOffset < this.halfFrom || this.settled.has(halfOffset)) return;
    this.settled.set(halfOffset, { action, opOffset, end: 0 });
    this.pending.delete(halfOffset);
    this.counted.delete(halfOffset);
  }

  /** A check record read from the op queue, or just written: the half's unanswered checks so far. */
  noteCheck(halfOffset: number, checks: number, opOffset: number): void {
    if (halfOffset < this.halfFrom || this.settled.has(halfOffset)) return;
    const p = this.pending.get(halfOffset);
    if (!p) {
      const known = this.counted.get(halfOffset);
      if (!known || known.checks <= checks) this.counted.set(halfOffset, { checks, opOffset });
      return;
    }
    p.checks = Math.max(p.checks, checks);
    p.checkOp = Math.max(p.checkOp ?? 0, opOffset);
  }

  /** A half read from the half queue: pending unless an op settled it, with the checks its records counted. */
  noteHalf(half: Omit<PendingHalf, "checks" | "asking" | "pass" | "checkOp">): void {
    this.halfScanned = Math.max(this.halfScanned, half.halfOffset + 1);
    if (half.halfOffset < this.halfFrom || this.settled.has(half.halfOffset)) return;
    const c = this.counted.get(half.halfOffset);
    this.counted.delete(half.halfOffset);
    this.pending.set(half.halfOffset, { ...half, checks: c?.checks ?? 0, asking: false, pass: 0, ...(c ? { checkOp: c.opOffset } : {}) });
  }

  /** A half that cannot be read (damaged, or removed by retention): nothing to settle there, and no op is written. */
  skipHalf(halfOffset: number, opOffsetEnd: number): void {
    this.halfScanned = Math.max(this.halfScanned, halfOffset + 1);
    if (!this.settled.has(halfOffset)) this.settled.set(halfOffset, { action: "rollback", opOffset: opOffsetEnd, end: 0 });
    this.pending.delete(halfOffset);
    this.counted.delete(halfOffset);
  }

  /** Claims the half for one settle; false when it is settled or being settled. */
  begin(halfOffset: number, action: TransactionAction): boolean {
    if (this.settledAs(halfOffset) !== undefined) return false;
    this.settling.set(halfOffset, action);
    return true;
  }

  /** The settle's records are in the log. */
  done(halfOffset: number, action: TransactionAction, opOffset: number, end: number): void {
    this.settling.delete(halfOffset);
    this.settled.set(halfOffset, { action, opOffset, end });
    this.pending.delete(halfOffset);
  }

  /** The settle wrote nothing: the half may be settled again. */
  abandon(halfOffset: number): void {
    this.settling.delete(halfOffset);
  }

  /**
   * Moves halfFrom past settled halves whose op record is committed (at or
   * below `commitOffset`), and opFrom to the earliest op still needed
   * (`opEnd`, the op queue's end, when none is and no settle is under way).
   * True when either moved.
   */
  advance(commitOffset: number, opEnd: number): boolean {
    const before = [this.halfFrom, this.opFrom];
    for (;;) {
      const s = this.settled.get(this.halfFrom);
      if (s === undefined || s.end > commitOffset || this.halfFrom >= this.halfScanned) break;
      this.settled.delete(this.halfFrom);
      this.remember(this.halfFrom, s.action);
      this.halfFrom++;
    }
    if (this.settling.size === 0) {
      let op = opEnd;
      for (const s of this.settled.values()) op = Math.min(op, s.opOffset);
      for (const p of this.pending.values()) if (p.checkOp !== undefined) op = Math.min(op, p.checkOp);
      this.opFrom = Math.max(this.opFrom, op);
    }
    return before[0] !== this.halfFrom || before[1] !== this.opFrom;
  }

  /** Halves old enough to check (stored at or before `cutoff`) and not being asked, oldest first, at most `max`. */
  due(cutoff: number, max: number): PendingHalf[] {
    const out: PendingHalf[] = [];
    for (const p of this.pending.values()) {
      if (out.length >= max) break;
      if (!p.asking && p.storedAt <= cutoff && !this.settling.has(p.halfOffset)) out.push(p);
    }
    return out;
  }

  private remember(halfOffset: number, action: TransactionAction): void {
    this.recent.set(halfOffset, action);
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value!);
  }
}
