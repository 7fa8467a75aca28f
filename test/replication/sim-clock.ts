// A simulated clock for the replication harness. Time moves only in
// advance(): timers fire one at a time in (due, creation) order, and after
// each one the event loop is drained until no file-system request is in
// flight and no promise is left to settle. The stores underneath do real
// file I/O on temp folders; by never letting simulated time move while that
// I/O is pending, a run's sequence of events depends on the code and the
// seed only, not on how fast the disk answered.
//
// Each node gets its own scope: crash(i) kills a scope, and every timer the
// node (its store, its replication) had set dies with it, as a process's do.
import type { Clock } from "../../actors/group-transport.js";

interface Timer {
  id: number;
  due: number;
  fn: () => void;
  scope: ClockScope | undefined;
}

export interface ScopedClock extends Clock {
  /** Clears every timer set through this scope and refuses new ones. */
  kill(): void;
  /** SIGSTOP: the scope's timers do not fire (they stay due) until thaw(). */
  freeze(): void;
  /** SIGCONT: every timer that fell due meanwhile fires, oldest first, at the current time. */
  thaw(): void;
  readonly alive: boolean;
}

type ClockScope = { alive: boolean; frozen: boolean; timers: Set<number> };

const START = 1_700_000_000_000;

export class SimClock implements Clock {
  private t: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();
  private readonly steps = new Set<() => void>();
  private running = false;

  constructor(readonly start = START) {
    this.t = start;
  }

  readonly now = (): number => this.t;
  readonly set = (fn: () => void, ms: number): unknown => this.add(fn, ms, undefined);
  readonly clear = (h: unknown): void => void this.remove(h);

  /** Simulated ms since the clock was made: what transcripts print. */
  get elapsed(): number {
    return this.t - this.start;
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** A view of this clock whose timers can all be cleared at once (a node's process). */
  scope(): ScopedClock {
    const s: ClockScope = { alive: true, frozen: false, timers: new Set() };
    return {
      now: this.now,
      set: (fn, ms) => this.add(fn, ms, s),
      clear: (h) => void this.remove(h),
      kill: () => {
        s.alive = false;
        for (const id of s.timers) this.timers.delete(id);
        s.timers.clear();
      },
      freeze: () => void (s.frozen = true),
      thaw: () => void (s.frozen = false),
      get alive() {
        return s.alive;
      },
    };
  }

  /** Called after every timer (and the drain after it): invariant checks and transcripts. Throwing fails the run. */
  onStep(fn: () => void): () => void {
    this.steps.add(fn);
    return () => this.steps.delete(fn);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.runUntil(() => false, ms);
  }

  /**
   * Fires timers in order until `done()` holds (checked before the first and
   * after every timer) or `limitMs` of simulated time has passed. Returns
   * whether `done()` held; the clock stops at the moment it did.
   */
  async runUntil(done: () => boolean, limitMs: number): Promise<boolean> {
    if (this.running) throw new Error("SimClock: advance() called while another advance() runs");
    this.running = true;
    try {
      const target = this.t + Math.max(0, limitMs);
      await this.step(undefined);
      for (;;) {
        if (done()) return true;
        const next = this.earliest();
        if (!next || next.due > target) break;
        this.t = Math.max(this.t, next.due);
        await this.step(next);
      }
      this.t = target;
      await this.step(undefined);
      return done();
    } finally {
      this.running = false;
    }
  }

  /** Advances until `p` settles (at most limitMs), then returns its value or throws its error. */
  async settle<T>(p: Promise<T>, limitMs: number): Promise<T> {
    let state: { ok: true; v: T } | { ok: false; e: unknown } | undefined;
    p.then((v) => (state = { ok: true, v }), (e) => (state = { ok: false, e }));
    await this.runUntil(() => state !== undefined, limitMs);
    if (!state) throw new Error(`SimClock.settle: still pending after ${limitMs} simulated ms`);
    if (!state.ok) throw state.e;
    return state.v;
  }

  private add(fn: () => void, ms: number, scope: ClockScope | undefined): unknown {
    const id = this.nextId++;
    if (scope && !scope.alive) return id;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.timers.set(id, { id, due: this.t + delay, fn, scope });
    scope?.timers.add(id);
    return id;
  }

  private remove(h: unknown): void {
    if (typeof h !== "number") return;
    const timer = this.timers.get(h);
    if (!timer) return;
    this.timers.delete(h);
    timer.scope?.timers.delete(h);
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    // ids grow with creation: among equal due times the older timer wins
    for (const timer of this.timers.values()) {
      if (timer.scope?.frozen) continue;
      if (!best || timer.due < best.due) best = timer;
    }
    return best;
  }

  private async step(timer: Timer | undefined): Promise<void> {
    let failure: unknown;
    if (timer) {
      this.remove(timer.id);
      try {
        timer.fn();
      } catch (err) {
        failure = err;
      }
    }
    await drainIo();
    if (failure) throw failure;
    for (const fn of this.steps) fn();
  }
}

/** True while a file-system request started by anyone in this process has not completed (a FileHandle's close is a CloseReq). */
function ioPending(): boolean {
  return process.getActiveResourcesInfo().some((r) => r.startsWith("FSReq") || r.startsWith("FileHandle") || r === "CloseReq");
}

/**
 * Lets promises and file I/O settle: macrotask turns until nothing is in
 * flight for two turns in a row. While the disk works, the loop waits on a
 * real 1 ms timer rather than spinning (the poll phase wakes it early).
 */
export async function drainIo(): Promise<void> {
  let quiet = 0;
  for (let turn = 0; turn < 1_000_000; turn++) {
    if (ioPending()) {
      quiet = 0;
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    await new Promise((r) => setImmediate(r));
    if (!ioPending() && ++quiet >= 2) return;
  }
  throw new Error("drainIo: file I/O never settled");
}
