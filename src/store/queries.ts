// Lookups beyond a queue read: by key (through the key index) and by time
// (binary search over a consume queue). Both read records back from the
// commit log; the index only ever gives hints.
import type { CommitLog } from "./commit-log.js";
import { entryOffset, type ConsumeQueue } from "./consume-queue.js";
import type { KeyIndex } from "./key-index.js";
import { findByKey } from "./lookup.js";
import { HEADER_BYTES, recordStoreTimestamp } from "./record.js";
import type { StoredMessage } from "./types.js";

/** Up to `max` messages of `topic` carrying `key`, newest last; each re-checked against its record. */
export function queryByKey(log: CommitLog, keys: KeyIndex, topic: string, key: string, max: number): StoredMessage[] {
  return findByKey(log, keys, topic, key, max).messages;
}

/** First queue offset stored at or after `timestamp` (store timestamps only grow); cq.max if none. */
export function offsetForTimestamp(log: CommitLog, cq: ConsumeQueue | undefined, timestamp: number): number {
  if (!cq) return 0;
  let lo = cq.min;
  let hi = cq.max;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const e = cq.read(mid, 1);
    const head = e.length > 0 ? log.read(entryOffset(e, 0), HEADER_BYTES) : e;
    if (head.length < HEADER_BYTES || recordStoreTimestamp(head, 0) < timestamp) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
