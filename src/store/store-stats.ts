// What a store reports about itself (a broker's status API carries it).
import type { RecoveryReport } from "./recovery.js";

export interface StoreStats {
  commitLogBytes: number;
  minOffset: number;
  maxOffset: number;
  flushedOffset: number;
  /** Readers see records that end at or below it (replicated: what a majority holds). */
  commitOffset: number;
  /** Term of the log's last record (0 if empty). */
  lastTerm: number;
  segments: number;
  queues: number;
  /** Messages reachable through consume queues. */
  messages: number;
  indexedKeys: number;
  recovery: RecoveryReport;
  /** Damage the last open found (ranges kept in place, plus a torn tail): what recovery reported. */
  damaged: { ranges: number; bytes: number };
  /** Reads answered CORRUPT_RECORD since open. */
  corruptReads: number;
  /** The data folder's file system; `full` while puts are refused with DISK_FULL. */
  disk: { usedRatio: number; full: boolean };
  /** Puts are refused with IO_ERROR until a restart (a failed append could not be rolled back). */
  readOnly: boolean;
  /** Segment files open now (bounded by maxOpenFiles). */
  openFiles: number;
}

export function damageCount(r: RecoveryReport): { ranges: number; bytes: number } {
  const ranges = r.damaged.length + (r.tornTail ? 1 : 0);
  return { ranges, bytes: r.damaged.reduce((n, d) => n + d.bytes, r.tornTail?.bytes ?? 0) };
}
