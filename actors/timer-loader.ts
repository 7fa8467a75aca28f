// Reads the timer queue into the timer service's heap: from the progress
// on, skipping what the rebuild found delivered, while the heap and the
// done window have room, a slice per turn of the event loop.
import { TIMER_TOPIC } from "../src/protocol/system-topics.js";
import { GetStatus, type MessageStore } from "../src/store/index.js";
import type { Logger } from "../src/runtime/log.js";
import type { DoneOffsets } from "./timer-done.js";
import type { PendingTimers } from "./timer-pending.js";
import { dueTimeOf } from "./timer-rewrite.js";

/** Timer-queue entries read per get. */
const LOAD_BATCH = 512;
/** Entries one load() reads before it lets the event loop run (a rebuild may find millions). */
const LOAD_SLICE = 16_384;
/** Most offsets the done window may span ahead of the progress (an eighth of this in bytes). */
const MAX_WINDOW = 64 * 1024 * 1024;

export class TimerQueueLoader {
  /** The next timer-queue offset to read. */
  loadedTo: number;
  /** Just past the last timer record read: every later timer record (and its delivery) is after it in the log. */
  loadedLogEnd: number;

  constructor(private readonly store: MessageStore, private readonly log: Logger, from: { scanFrom: number; logFrom: number }) {
    this.loadedTo = from.scanFrom;
    this.loadedLogEnd = from.logFrom;
  }

  /** Loads what fits; true when it stopped at the slice's end with more to read (call again next turn). */
  load(pending: PendingTimers, done: DoneOffsets): boolean {
    for (let read = 0; ; read += LOAD_BATCH) {
      if (pending.size >= pending.max || this.loadedTo - done.low >= MAX_WINDOW) return false;
      if (read >= LOAD_SLICE) return true;
      const got = this.store.get(TIMER_TOPIC, 0, this.loadedTo, Math.min(LOAD_BATCH, pending.max - pending.size));
      if (got.status === GetStatus.CORRUPT_RECORD) {
        this.log.error("timer record failed its checks: it is not delivered", { queueOffset: this.loadedTo, ...got.corrupt });
        done.markDone(this.loadedTo++);
        continue;
      }
      if (got.status === GetStatus.OFFSET_TOO_SMALL && got.nextOffset > this.loadedTo) {
        // retention removed timer records nobody delivered: they are gone, say so and go on
        this.log.error("timer records removed by retention before they were due: not delivered", { from: this.loadedTo, to: got.nextOffset });
        while (this.loadedTo < got.nextOffset) done.markDone(this.loadedTo++);
        continue;
      }
      if (got.status !== GetStatus.FOUND) return false;
      for (const m of got.messages) {
        this.loadedLogEnd = m.commitLogOffset + m.size;
        if (done.isDone(m.queueOffset)) continue;
        const due = dueTimeOf(m);
        if (due === undefined) {
          this.log.warn("a record in the timer topic is not a timer (no TIMER_OUT_MS / REAL_TOPIC): skipped", { queueOffset: m.queueOffset });
          done.markDone(m.queueOffset);
          continue;
        }
        pending.add(due, m.queueOffset, m.commitLogOffset);
      }
      if (got.nextOffset <= this.loadedTo) return false;
      this.loadedTo = got.nextOffset;
    }
  }
}
