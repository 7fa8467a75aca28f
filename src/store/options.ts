// MessageStore options and their defaults (RocketMQ's MessageStoreConfig
// values where one exists).
import * as fs from "node:fs";
import { promisify } from "node:util";
import { CQ_ENTRIES_PER_FILE } from "./consume-queue.js";
import type { FsyncFn } from "./commit-log-flusher.js";
import { statfsUsage, type DiskUsage } from "./disk-guard.js";
import { DEFAULT_MAX_OPEN_FILES } from "./fd-cache.js";
import { silentLogger, type Logger } from "../runtime/log.js";

export const FlushMode = { async: "async", sync: "sync" } as const;
export type FlushMode = (typeof FlushMode)[keyof typeof FlushMode];

/** setTimeout/clearTimeout, replaceable so that a simulated clock drives the store (the batcher's Timers shape). */
export interface StoreTimerFns {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Real timers (the periodic ones are unref'd by StoreTimers; a put's flush timeout keeps the process up). */
export const realStoreTimers: StoreTimerFns = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface StoreOptions {
  /** Commit-log segment size; default 1 GiB. */
  segmentBytes?: number;
  /** "async" (default): fsync every flushIntervalMs. "sync": group commit before each put resolves. */
  flush?: FlushMode;
  flushIntervalMs?: number;
  /** Sync flush: how long a put waits for its fsync before FLUSH_TIMEOUT; default 5 s. */
  syncFlushTimeoutMs?: number;
  /** Largest encoded record; default 4 MiB (capped at segmentBytes). */
  maxMessageBytes?: number;
  /** Delete segments whose newest message is older than this; default 72 h (fileReservedTime). */
  retentionMs?: number;
  /** Delete oldest segments while the log is bigger than this; default unlimited. */
  retentionBytes?: number;
  /** How often retention runs; default 10 s. */
  cleanIntervalMs?: number;
  /** How often dirty consumer offsets are written; default 5 s. */
  offsetsPersistMs?: number;
  /** Entries per consume-queue file; default 300,000. */
  cqEntriesPerFile?: number;
  /** Hash slots per key-index file (index/*.idx); default 262,144 (1 MiB held in memory for the active file). */
  keyIndexSlots?: number;
  /** Entries per key-index file before it rolls; default 1,048,576 (20 MiB on disk). */
  keyIndexEntriesPerFile?: number;
  /** Check each record's CRC when reading it; default true. */
  verifyCrcOnRead?: boolean;
  /** Term stamped on records this store appends; default 0 (setTerm changes it). */
  term?: number;
  /** The store's clock (store timestamps, retention ages); default Date.now. */
  now?: () => number;
  /** Timers for the periodic work and the sync-flush timeout; default real (unref'd) timers. */
  timers?: StoreTimerFns;
  /**
   * One replica of a group (default false). false: the commit offset follows
   * every append (after its fsync under sync flush). true: it moves only by
   * setCommitOffset, and recovery cuts a torn tail without filling it with
   * gap records (the master has the lost records, or they were never committed).
   */
  replicated?: boolean;
  /** fdatasync; tests inject one to count or stall flushes. */
  fsync?: FsyncFn;
  /** Failures of background work (periodic flush, retention); default console.error. */
  onError?: (err: unknown) => void;
  /** State changes worth an operator's eye (disk full and back, read-only, a checkpoint failing); default silent. */
  log?: Logger;
  /** Refuse puts (DISK_FULL) above this used fraction of the data folder's file system; default 0.90. */
  diskMaxUsedRatio?: number;
  /** Refuse puts while fewer bytes than this are free; default 0 (off). */
  diskMinFreeBytes?: number;
  /** How often the disk's fill level is read (statfs), at most; default 100 ms. */
  diskCheckIntervalMs?: number;
  /** Reads the file system's fill level; tests inject one. Default statfs on the data folder. */
  diskUsage?: (dir: string) => DiskUsage;
  /** Bound of open segment files (commit log and consume queues together); default 1024, at most half the fd limit. */
  maxOpenFiles?: number;
}

export type ResolvedOptions = Required<StoreOptions>;

const fdatasync = promisify(fs.fdatasync);

export function resolveOptions(o: StoreOptions): ResolvedOptions {
  const segmentBytes = o.segmentBytes ?? 1 << 30;
  return {
    segmentBytes,
    flush: o.flush ?? FlushMode.async,
    flushIntervalMs: o.flushIntervalMs ?? 500,
    syncFlushTimeoutMs: o.syncFlushTimeoutMs ?? 5000,
    maxMessageBytes: Math.min(o.maxMessageBytes ?? 4 << 20, segmentBytes),
    retentionMs: o.retentionMs ?? 72 * 3600_000,
    retentionBytes: o.retentionBytes ?? Infinity,
    cleanIntervalMs: o.cleanIntervalMs ?? 10_000,
    offsetsPersistMs: o.offsetsPersistMs ?? 5000,
    cqEntriesPerFile: o.cqEntriesPerFile ?? CQ_ENTRIES_PER_FILE,
    keyIndexSlots: o.keyIndexSlots ?? 1 << 18,
    keyIndexEntriesPerFile: o.keyIndexEntriesPerFile ?? 1 << 20,
    verifyCrcOnRead: o.verifyCrcOnRead ?? true,
    term: o.term ?? 0,
    now: o.now ?? Date.now,
    timers: o.timers ?? realStoreTimers,
    replicated: o.replicated ?? false,
    fsync: o.fsync ?? ((fd: number) => fdatasync(fd)),
    onError: o.onError ?? ((err: unknown) => console.error("store:", err)),
    log: o.log ?? silentLogger,
    diskMaxUsedRatio: o.diskMaxUsedRatio ?? 0.9,
    diskMinFreeBytes: o.diskMinFreeBytes ?? 0,
    diskCheckIntervalMs: o.diskCheckIntervalMs ?? 100,
    diskUsage: o.diskUsage ?? statfsUsage,
    maxOpenFiles: o.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES,
  };
}
