// One master's timer service, from the moment the replica becomes master
// until it stops being one: rebuild the undelivered set (the persisted
// progress, then the log's deliveries since it), then follow the timer
// queue and deliver each due timer into its real queue once. docs/timers.md
// gives the argument for "once" across kill -9 and failover.
import { TIMER_TOPIC } from "../src/protocol/system-topics.js";
import { PutStatus, type PutMessage } from "../src/store/index.js";
import type { BrokerContext } from "./broker-context.js";
import { committed } from "./send-outcome.js";
import { Lateness } from "./timer-lateness.js";
import { DoneOffsets } from "./timer-done.js";
import { PendingTimers, type TimerEntry } from "./timer-pending.js";
import { loadProgress, Progress } from "./timer-progress.js";
import { dueTimeOf, timerRecordToMessage } from "./timer-rewrite.js";
import { TimerQueueLoader } from "./timer-loader.js";
import { scanDeliveries } from "./timer-scan.js";

/** Timers put into their queues by one atomic put. */
const DELIVERY_BATCH = 256;
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
  private loader: TimerQueueLoader | undefined;
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
    this.loader = new TimerQueueLoader(store, log, saved);
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
    return this.pending.size + Math.max(0, visible - (this.loader?.loadedTo ?? visible));
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

  /** Reads timer-queue entries into the heap while they fit; a slice at a time. */
  private load(): void {
    if (!this.loader!.load(this.pending, this.done!) || this.slicing) return;
    this.slicing = true;
    setImmediate(() => {
      this.slicing = false;
      this.kick();
    });
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
    const { loadedTo, loadedLogEnd } = this.loader!;
    const low = Math.min(this.done!.low, loadedTo);
    this.progress!.offer(low, low < loadedTo ? undefined : loadedLogEnd);
    this.progressTimer = this.ctx.clock.set(() => this.saveProgress(), this.settings.progressEveryMs);
  }
}
