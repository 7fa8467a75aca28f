// One master's timer service, from the moment the replica becomes master
// until it stops being one: rebuild the undelivered set (the persisted
// progress, then the log's deliveries since it), then follow the timer
// queue and deliver each due timer into its real queue once. docs/timers.md
// gives the argument for "once" across kill -9 and failover.
import { TIMER_TOPIC } from "../src/protocol/system-topics.js";
import { GetStatus, PutStatus, type PutMessage } from "../src/store/index.js";
import type { BrokerContext } from "./broker-context.js";
import { committed } from "./send-outcome.js";
import { Lateness } from "./timer-lateness.js";
import { DoneOffsets, PendingTimers, type TimerEntry } from "./timer-pending.js";
import { loadProgress, Progress } from "./timer-progress.js";
import { dueTimeOf, timerRecordToMessage } from "./timer-rewrite.js";
import { scanDeliveries } from "./timer-scan.js";

/** Timers put into their queues by one atomic put. */
const DELIVERY_BATCH = 256;
/** Timer-queue entries read per get while loading. */
const LOAD_BATCH = 512;
/** Timer-queue entries one load() reads before it lets the event loop run (a rebuild may find millions). */
const LOAD_SLICE = 16_384;
/** Most offsets the done window may span ahead of the progress (an eighth of this in bytes). */
const MAX_WINDOW = 64 * 1024 * 1024;
/** A put that failed (disk full, I/O) is tried again after this. */
const RETRY_MS = 1000;

export interface RunSettings {
  maxPending: number;
  /** How often the progress is written to the replicated offsets table. */
  progressEveryMs: number;
  /** Called when the run cannot go on as master (a delivery not committed): the supervisor starts a new one. */
  failed(reason: string): void;
}

export class TimerRun {
  readonly pending: PendingTimers;
  private done: DoneOffsets | undefined;
  private loadedTo = 0;
  /** Just past the last timer record loaded: every later timer record (and its delivery) is after it in the log. */
  private loadedLogEnd = 0;
  private stopped = false;
  private delivering: Promise<void> | undefined;
  private timer: unknown;
  private progressTimer: unknown;
  private retryAt = 0;
  /** A load slice is due on the next turn of the event loop. */
  private slicing = false;
  private unwatch: (() => void) | undefined;
  private progress: Progress | undefined;
  delivered = 0;
  readonly lateness = new Lateness(4096);
  ready = false;

  constructor(private readonly ctx: BrokerContext, private readonly settings: RunSettings) {
    this.pending = new PendingTimers(settings.maxPending);
  }

  /** Rebuilds, then starts delivering. Resolves when rebuilt (or stopped meanwhile). */
  async start(): Promise<void> {
    const { store, log } = this.ctx;
    const began = Date.now();
    const saved = loadProgress(store);
    const done = new DoneOffsets(saved.scanFrom);
    const scan = await scanDeliveries(store, saved.logFrom, (k) => done.markDone(k), () => this.stopped);
    if (this.stopped) return;
    this.done = done;
    this.loadedTo = saved.scanFrom;
    this.loadedLogEnd = saved.logFrom;
    this.progress = new Progress(store, () => this.ctx.configChanged(), saved);
    this.unwatch = store.onArrived((topic, queueId) => {
      if (queueId === 0 && topic === TIMER_TOPIC) this.kick();
    });
    this.load();
    this.ready = true;
    log.info("timer service started", {
      scanFrom: saved.scanFrom, logFrom: saved.logFrom, scannedRecords: scan.records, foundDelivered: scan.deliveries,
      damaged: scan.damaged, pending: this.pending.size, ms: Date.now() - began,
    });
    this.saveProgress();
    this.arm();
  }

  /** Undelivered timers: held, plus those in the timer queue not loaded yet. */
  pendingCount(): number {
    const visible = this.ctx.store.queueRange(TIMER_TOPIC, 0).max;
    return this.pending.size + Math.max(0, visible - this.loadedTo);
  }

  get scanFrom(): number {
    return this.progress?.saved.scanFrom ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    this.ctx.clock.clear(this.timer);
    this.ctx.clock.clear(this.progressTimer);
    await this.delivering;
    this.pending.clear();
  }

  /** New timer records are visible, or room was made: load what fits and re-arm. */
  private kick(): void {
    if (this.stopped || !this.done) return;
    this.load();
    this.arm();
  }

  /** Reads timer-queue entries from loadedTo into the heap, while they fit; a slice at a time. */
  private load(): void {
    const done = this.done!;
    const store = this.ctx.store;
    for (let read = 0; ; read += LOAD_BATCH) {
      if (this.pending.size >= this.pending.max || this.loadedTo - done.low >= MAX_WINDOW) return;
      if (read >= LOAD_SLICE) {
        if (!this.slicing) {
          this.slicing = true;
          setImmediate(() => {
            this.slicing = false;
            this.kick();
          });
        }
        return;
      }
      const room = Math.min(LOAD_BATCH, this.pending.max - this.pending.size);
      const got = store.get(TIMER_TOPIC, 0, this.loadedTo, room);
      if (got.status === GetStatus.CORRUPT_RECORD) {
        this.ctx.log.error("timer record failed its checks: it is not delivered", { queueOffset: this.loadedTo, ...got.corrupt });
        done.markDone(this.loadedTo++);
        continue;
      }
      if (got.status === GetStatus.OFFSET_TOO_SMALL && got.nextOffset > this.loadedTo) {
        // retention removed timer records nobody delivered: they are gone, say so and go on
        this.ctx.log.error("timer records removed by retention before they were due: not delivered", { from: this.loadedTo, to: got.nextOffset });
        while (this.loadedTo < got.nextOffset) done.markDone(this.loadedTo++);
        continue;
      }
      if (got.status !== GetStatus.FOUND) return;
      for (const m of got.messages) {
        this.loadedLogEnd = m.commitLogOffset + m.size;
        if (done.isDone(m.queueOffset)) continue;
        const due = dueTimeOf(m);
        if (due === undefined) {
          this.ctx.log.warn("a record in the timer topic is not a timer (no TIMER_OUT_MS / REAL_TOPIC): skipped", { queueOffset: m.queueOffset });
          done.markDone(m.queueOffset);
          continue;
        }
        this.pending.add(due, m.queueOffset, m.commitLogOffset);
      }
      if (got.nextOffset <= this.loadedTo) return;
      this.loadedTo = got.nextOffset;
    }
  }

  /** One clock timer, at the earliest due time (or the retry time after a failed put). */
  private arm(): void {
    if (this.stopped || this.delivering) return;
    this.ctx.clock.clear(this.timer);
    const next = Math.max(this.pending.nextDue(), this.retryAt);
    if (next === Infinity) return;
    this.timer = this.ctx.clock.set(() => this.fire(), Math.max(0, next - this.ctx.clock.now()));
  }

  private fire(): void {
    if (this.stopped || this.delivering) return;
    this.delivering = this.deliverDue().finally(() => {
      this.delivering = undefined;
      this.kick();
    });
  }

  /** Delivers every due timer, a batch per put, until none is due. */
  private async deliverDue(): Promise<void> {
    const { store, clock, log } = this.ctx;
    while (!this.stopped) {
      const now = clock.now();
      const batch: TimerEntry[] = [];
      const messages: PutMessage[] = [];
      for (let e = this.pending.popDue(now); e; e = batch.length < DELIVERY_BATCH ? this.pending.popDue(now) : undefined) {
        const record = store.lookup(e.commitLogOffset);
        if (!record || dueTimeOf(record) === undefined) {
          log.error("timer record cannot be read: it is not delivered", { queueOffset: e.offset, commitLogOffset: e.commitLogOffset });
          this.done!.markDone(e.offset);
          continue;
        }
        batch.push(e);
        messages.push(timerRecordToMessage(record));
        if (batch.length >= DELIVERY_BATCH) break;
      }
      if (batch.length === 0) return;
      if (!this.ctx.isMaster()) {
        // deposed meanwhile: the supervisor stops this run; the next master delivers them
        for (const e of batch) this.pending.add(e.due, e.offset, e.commitLogOffset);
        this.retryAt = clock.now() + 100;
        return;
      }
      const put = await store.put(messages, { atomic: true });
      if (put.status !== PutStatus.PUT_OK && put.status !== PutStatus.FLUSH_TIMEOUT) {
        // nothing stored: they wait in the heap again
        for (const e of batch) this.pending.add(e.due, e.offset, e.commitLogOffset);
        this.retryAt = clock.now() + RETRY_MS;
        log.warn("timer delivery not stored; trying again", { status: put.status, timers: batch.length });
        return;
      }
      this.retryAt = 0;
      // in this replica's log now: not delivered again by this run, nor by a rebuild from this log
      for (const e of batch) this.done!.markDone(e.offset);
      try {
        await committed(this.ctx, put.end);
      } catch (err) {
        this.settings.failed(`a timer delivery was not committed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      const at = clock.now();
      for (const e of batch) this.lateness.add(at - e.due);
      this.delivered += batch.length;
    }
  }

  /** Offers the progress now to the offsets table (written there once the log up to here is committed). */
  private saveProgress(): void {
    if (this.stopped) return;
    const low = Math.min(this.done!.low, this.loadedTo);
    this.progress!.offer(low, low < this.loadedTo ? undefined : this.loadedLogEnd);
    this.progressTimer = this.ctx.clock.set(() => this.saveProgress(), this.settings.progressEveryMs);
  }
}
