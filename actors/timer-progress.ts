// The timer service's progress, kept in the consumer-offsets table (which
// slaves copy through ha.config) under a reserved group:
//   scanFrom  the lowest timer-queue offset that may be undelivered;
//   logFrom   a commit-log offset before every delivery of a timer at or
//             after scanFrom (the timer record at scanFrom is one: a timer
//             is delivered after it is written).
// A rebuild reads both, scans the log from logFrom for deliveries, and
// loads the timer queue from scanFrom. Progress is written only once the
// log up to the moment it was taken is committed, so a new master never
// reads progress past deliveries it does not hold.
import { TIMER_PROGRESS_GROUP, TIMER_TOPIC } from "../src/protocol/system-topics.js";
import { GetStatus, type MessageStore } from "../src/store/index.js";

/** The reserved group the progress is stored under (isSystemGroup: no client moves it). */
export { TIMER_PROGRESS_GROUP };
/** The pseudo-topic whose queue 0 holds logFrom (TIMER_TOPIC's queue 0 holds scanFrom). */
export const TIMER_LOG_FROM = "rmq_sys_timer_log_from";

export interface SavedProgress {
  scanFrom: number;
  logFrom: number;
}

/** The persisted progress, brought within what the store still holds; none saved: from the start. */
export function loadProgress(store: MessageStore): SavedProgress {
  const q = store.queueRange(TIMER_TOPIC, 0);
  const scanFrom = Math.max(store.offsets.get(TIMER_PROGRESS_GROUP, TIMER_TOPIC, 0) ?? 0, q.min);
  const saved = Math.max(store.offsets.get(TIMER_PROGRESS_GROUP, TIMER_LOG_FROM, 0) ?? 0, store.minPhysicalOffset);
  // Every delivery of a timer at or after scanFrom follows that timer's record in the log, so the scan
  // starts there at the latest; with no timer from scanFrom on there is nothing to find. Without this a
  // broker that never stored a timer (no progress saved) would read its whole log at every start.
  const first = scanFrom < q.max ? recordAt(store, scanFrom) : store.maxPhysicalOffset;
  return { scanFrom, logFrom: Math.max(saved, first ?? saved) };
}

/** The commit-log offset of the timer record at `queueOffset`; undefined when it cannot be read. */
function recordAt(store: MessageStore, queueOffset: number): number | undefined {
  const got = store.get(TIMER_TOPIC, 0, queueOffset, 1);
  const m = got.status === GetStatus.FOUND ? got.messages[0] : undefined;
  return m && m.queueOffset === queueOffset ? m.commitLogOffset : undefined;
}

export class Progress {
  private candidate: (SavedProgress & { after: number }) | undefined;

  constructor(private readonly store: MessageStore, private readonly changed: () => void, public saved: SavedProgress) {}

  /**
   * Takes the progress now: `scanFrom`, and `logFrom` when the caller knows
   * it (nothing loaded is pending), else the commit-log offset of the timer
   * record at scanFrom. Written once the log's end now is committed.
   */
  offer(scanFrom: number, logFrom?: number): void {
    this.flushCandidate();
    const at = logFrom ?? recordAt(this.store, scanFrom) ?? this.saved.logFrom;
    if (scanFrom === this.saved.scanFrom && at === this.saved.logFrom) return;
    this.candidate = { scanFrom, logFrom: at, after: this.store.maxPhysicalOffset };
    this.flushCandidate();
  }

  private flushCandidate(): void {
    const c = this.candidate;
    if (!c || this.store.commitOffset < c.after) return;
    this.candidate = undefined;
    this.store.offsets.commit(TIMER_PROGRESS_GROUP, TIMER_TOPIC, 0, c.scanFrom);
    this.store.offsets.commit(TIMER_PROGRESS_GROUP, TIMER_LOG_FROM, 0, c.logFrom);
    this.saved = { scanFrom: c.scanFrom, logFrom: c.logFrom };
    this.changed();
  }
}
