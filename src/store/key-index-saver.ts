// When the key index is written to disk while the store runs: at most every
// SAVE_EVERY_MS, or sooner once SAVE_EVERY_BYTES of log were appended since
// the last save, from the store's periodic tick (off the put path). A crash
// then replays the log only from the last save's offset.
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

export class KeyIndexSaver {
  private lastAt: number;
  private epoch = 0;

  /** `covers`: what the file on disk claims (-1: no file). */
  constructor(private readonly dir: string, private readonly keys: KeyIndex, now: number, private covers: number) {
    this.lastAt = now;
  }

  /** Saves if one is due; `end` is the fsynced commit-log end. Returns whether it saved. */
  async maybeSave(now: number, end: number): Promise<boolean> {
    if (end <= this.covers) return false;
    if (now - this.lastAt < SAVE_EVERY_MS && end - Math.max(this.covers, 0) < SAVE_EVERY_BYTES) return false;
    this.lastAt = now;
    const epoch = this.epoch;
    const saved = await this.keys.saveAsync(this.dir, end, () => epoch === this.epoch);
    if (saved) this.covers = end;
    return saved;
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

  /** A clean close wrote the file itself. */
  closed(covers: number): void {
    this.epoch++;
    this.covers = covers;
  }
}
