// Commit-log positions are never handed out twice either. A message id is
// its group and commit-log offset, so after a torn tail is cut, the next
// record written at the cut would take the id of a message that was lost
// (and may have been acknowledged and read): a consumer that deduplicates by
// id would drop the new one. Recovery therefore fills the lost range with
// gap records: ordinary records (CRC, own offset, the placement rule, so a
// slave copies them like any other) flagged GAP, in a reserved topic, that
// the dispatcher never indexes and a lookup never returns.
import type { CommitLog } from "./commit-log.js";
import { encodedSize, encodeRecord, FIXED_BYTES } from "./record.js";
import type { PutMessage } from "./types.js";

/** RocketMQ's sysFlag is opaque to the store, but for this bit, which no put may set. */
export const GAP_FLAG = 0x40000000;
export const GAP_TOPIC = "%RBUS_GAP%";
/** The smallest gap record: no tags, keys, properties or body. */
export const MIN_GAP_BYTES = FIXED_BYTES + GAP_TOPIC.length;

export const isGap = (flags: number): boolean => (flags & GAP_FLAG) !== 0;

/** Appends gap records until the log ends at or past `upTo`; returns the bytes written. */
export function fillGap(log: CommitLog, upTo: number, term: number, now: number): number {
  const start = log.maxOffset;
  const positions: number[] = [];
  while (log.maxOffset < upTo) {
    let size = gapSize(upTo - log.maxOffset, log.segmentBytes);
    log.layout([size], 1, positions);
    // a gap that did not fit rolled to the next segment: size it from there
    if (positions[0]! !== log.maxOffset) size = gapSize(upTo - positions[0]!, log.segmentBytes);
    log.layout([size], 1, positions);
    const m: PutMessage = { topic: GAP_TOPIC, queueId: 0, body: Buffer.alloc(size - MIN_GAP_BYTES), flags: GAP_FLAG };
    const buf = Buffer.alloc(size);
    encodeRecord(buf, 0, encodedSize(m), m, term, positions[0]!, 0, now);
    log.writeRecords(buf, positions, [size], 1);
  }
  return log.maxOffset - start;
}

function gapSize(want: number, segmentBytes: number): number {
  return Math.min(Math.max(want, MIN_GAP_BYTES), segmentBytes);
}
