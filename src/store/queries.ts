// Lookups by time: a binary search over a consume queue, reading store
// timestamps back from the commit log. Lookups by key are in lookup.ts.
import type { CommitLog } from "./commit-log.js";
import { entryOffset, type ConsumeQueue } from "./consume-queue.js";
import { HEADER_BYTES, recordStoreTimestamp } from "./record.js";

/** First visible queue offset stored at or after `timestamp` (store timestamps only grow); the visible max if none. */
export function offsetForTimestamp(log: CommitLog, cq: ConsumeQueue | undefined, timestamp: number): number {
  if (!cq) return 0;
  let lo = cq.min;
  let hi = cq.visibleMax;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const e = cq.read(mid, 1);
    const head = e.length > 0 ? log.read(entryOffset(e, 0), HEADER_BYTES) : e;
    if (head.length < HEADER_BYTES || recordStoreTimestamp(head, 0) < timestamp) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Store time of the newest readable message of the queue (ms since the epoch); 0 when it has none or its record is unreadable. */
export function lastStoredAt(log: CommitLog, cq: ConsumeQueue | undefined): number {
  if (!cq || cq.visibleMax <= cq.min) return 0;
  const e = cq.read(cq.visibleMax - 1, 1);
  if (e.length === 0) return 0;
  const head = log.read(entryOffset(e, 0), HEADER_BYTES);
  return head.length < HEADER_BYTES ? 0 : recordStoreTimestamp(head, 0);
}
