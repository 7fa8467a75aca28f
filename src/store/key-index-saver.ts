// When the key index is written to disk while the store runs: every
// SAVE_EVERY_MS, or sooner once SAVE_EVERY_BYTES of log were appended since
// the last save, but never so often that saving takes more than a tenth of
// the time (a million keys take most of a second to encode). Started from
// the store's periodic tick and not awaited there: the commit-log flush
// keeps its cadence. A crash then replays the log only from the last
// save's offset.
//
// The offset a save claims is the fsynced end at its start: a crash keeps
// at least that much of the log, so the claim never passes what is there.
// A cut below what the file claims (a slave's truncateTo, or recovery
// cutting a log shorter than the claim) removes the file, since records
// later written at those offsets would not be in it, and makes a save in
// progress drop its result.
import * as fs from "node:fs";
import type { KeyIndex } from "./key-index.js";
import { keyIndexPath } from "./key-index-file.js";

export const SAVE_EVERY_MS = 10_000;
export const SAVE_EVERY_BYTES = 64 << 20;

/** A save takes at most this share of the time. */
const MAX_SHARE = 0.1;

export class KeyIndexSaver {
  private lastAt: number;
  private lastCostMs = 0;
  private epoch = 0;
  private running: Promise<boolean> | undefined;

  /** `covers`: what the file on disk claims (-1: no file). */
  constructor(private readonly dir: string, private readonly keys: KeyIndex, now: number, private covers: number) {
    this.lastAt = now;
  }

  /**
   * Starts a save if one is due and none is running; `end` is the fsynced
   * commit-log end. Resolves when that save ends (whether it saved), or at
   * once; a failure rejects the returned promise only.
   */
  maybeSave(now: number, end: number): Promise<boolean> {
    if (this.running || end <= this.covers) return Promise.resolve(false);
    const since = now - this.lastAt;
    const byBytes = end - Math.max(this.covers, 0) >= SAVE_EVERY_BYTES && since >= this.lastCostMs / MAX_SHARE;
    if (since < SAVE_EVERY_MS && !byBytes) return Promise.resolve(false);
    this.lastAt = now;
    const epoch = this.epoch;
    const t0 = performance.now();
    const run = this.keys.saveAsync(this.dir, end, () => epoch === this.epoch).then((saved) => {
      if (saved) this.covers = end;
      return saved;
    });
    this.running = run.finally(() => {
      this.lastCostMs = performance.now() - t0;
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves when a save in progress has ended (a close waits for it before writing its own). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** The log was cut at `offset`. */
  cut(offset: number): void {
    this.epoch++;
    if (this.covers > offset) this.forget();
  }

  /** Removes the file (a clean close writes a new one). */
  forget(): void {
    fs.rmSync(keyIndexPath(this.dir), { force: true });
    this.covers = -1;
  }

  /** The store stopped without closing (simulateCrash): a save in progress must not land afterwards. */
  abandon(): void {
    this.epoch++;
  }

  /** A clean close wrote the file itself. */
  closed(covers: number): void {
    this.epoch++;
    this.covers = covers;
  }
}
