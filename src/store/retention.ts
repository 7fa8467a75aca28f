// Deletes whole commit-log segments from the front (RocketMQ's
// CleanCommitLogService), never the active one: while the oldest is older
// than retentionMs, or while the log is larger than retentionBytes. A
// segment's age is the newest store timestamp written to it by this process,
// else its file's mtime. Consume queues then drop files that point only
// below the new minimum and move their min up, so reads before it answer
// OFFSET_TOO_SMALL with the new min.
import * as fs from "node:fs";
import type { CommitLog } from "./commit-log.js";
import type { QueueTable } from "./queue-table.js";
import type { Segment } from "./segment-files.js";

export interface RetentionPolicy {
  retentionMs: number;
  retentionBytes: number;
  now: number;
  /** Newest store timestamp in a segment, if known. */
  newestIn: (seg: Segment) => number | undefined;
}

/** Returns the number of segments deleted. */
export function applyRetention(log: CommitLog, queues: QueueTable, policy: RetentionPolicy): number {
  let deleted = 0;
  let total = 0;
  for (const s of log.segments) total += s.size;
  while (log.segments.length > 1) {
    const oldest = log.segments[0]!;
    const age = policy.now - (policy.newestIn(oldest) ?? fs.statSync(oldest.path).mtimeMs);
    if (age <= policy.retentionMs && total <= policy.retentionBytes) break;
    total -= oldest.size;
    log.removeFirstSegment();
    deleted++;
  }
  if (deleted > 0) for (const cq of queues.all()) cq.correctMin(log.minOffset);
  return deleted;
}
