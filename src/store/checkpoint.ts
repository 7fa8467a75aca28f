// <dir>/checkpoint and <dir>/abort, as RocketMQ's StoreCheckpoint and abort file.
//
// The checkpoint records how far things were durable at the last flush:
// `commitLog` (fsynced commit-log end) and `dispatched` (commit-log end the
// fsynced consume queues cover). Recovery starts from there.
//
// The abort marker exists while a store is open and is removed by a clean
// close; finding it at open means the last run died (kill -9, power loss),
// so recovery rechecks the log from the checkpoint's segment instead of
// trusting the files.
import * as fs from "node:fs";
import * as path from "node:path";
import { isDiskFull } from "./append-atomic.js";
import { readJsonFile, writeFileAtomic, writeFileAtomicAsync } from "./atomic-file.js";

export interface Checkpoint {
  commitLog: number;
  dispatched: number;
  /**
   * Everything before it passed a CRC check in some recovery, or was written
   * by the store that wrote this checkpoint and fsynced. Recovery checks
   * from here on; from the log's start when it is missing.
   */
  verified?: number;
  /** A replicated store's commit offset at the flush (a lower bound: what was committed stays committed). */
  committed?: number;
  /** Store clock when written, ms. */
  savedAt: number;
}

export function readCheckpoint(dir: string): Checkpoint | undefined {
  try {
    const cp = readJsonFile<Checkpoint>(path.join(dir, "checkpoint"));
    if (cp && Number.isSafeInteger(cp.commitLog) && Number.isSafeInteger(cp.dispatched)) return cp;
  } catch {
    // a checkpoint that does not parse is no checkpoint: recovery starts further back
  }
  return undefined;
}

export function writeCheckpoint(dir: string, cp: Checkpoint): Promise<void> {
  return writeFileAtomicAsync(path.join(dir, "checkpoint"), JSON.stringify(cp));
}

/** writeCheckpoint, synchronously (a truncation, which must not claim what it is cutting). */
export function writeCheckpointSync(dir: string, cp: Checkpoint): void {
  writeFileAtomic(path.join(dir, "checkpoint"), JSON.stringify(cp));
}

/** Creates the abort marker; returns whether one was already there (the last run did not close). */
export function markOpen(dir: string): boolean {
  const file = path.join(dir, "abort");
  const existed = fs.existsSync(file);
  if (!existed) {
    fs.writeFileSync(file, "", { mode: 0o600 });
  }
  return existed;
}

export function markClosed(dir: string): void {
  fs.rmSync(path.join(dir, "abort"), { force: true });
}

/** Creates the abort marker; a full disk that refuses it leaves the store read-only, not closed. */
export function openMarker(dir: string): { abnormal: boolean; error?: unknown } {
  try {
    return { abnormal: markOpen(dir) };
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    return { abnormal: fs.existsSync(path.join(dir, "abort")), error };
  }
}
