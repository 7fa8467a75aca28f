// Commit-log positions are never handed out twice either. A message id is
// its group and commit-log offset, so after a torn tail is cut, the next
// record written at the cut would take the id of a message that was lost
// (and may have been acknowledged and read): a consumer that deduplicates by
// id would drop the new one. Recovery therefore fills the lost range with
// gap records: ordinary records (CRC, own offset, the placement rule, so a
// slave copies them like any other) flagged GAP, in a reserved topic, that
// the dispatcher never indexes and a lookup never returns.
//
// The same flag marks the other control record, a master's term start
// (termStartRecord): topic %RBUS_TERM%, written first by a new master
// (Raft's no-op entry: committing it commits the earlier terms' tail).
// isGap() is true for both, so both are kept out of every index and queue.
import type { CommitLog } from "./commit-log.js";
import { encodedSize, encodeRecord, FIXED_BYTES } from "./record.js";
import type { PutMessage } from "./types.js";

/** RocketMQ's sysFlag is opaque to the store, but for this bit, which no put may set. */
export const GAP_FLAG = 0x40000000;
export const GAP_TOPIC = "%RBUS_GAP%";
/** The smallest gap record: no tags, keys, properties or body. */
export const MIN_GAP_BYTES = FIXED_BYTES + GAP_TOPIC.length;

export const isGap = (flags: number): boolean => (flags & GAP_FLAG) !== 0;

/** With GAP_FLAG: a term-start record. Meaningless without it (a put may set it). */
export const TERM_START_FLAG = 0x20000000;
export const TERM_TOPIC = "%RBUS_TERM%";
export const isTermStart = (flags: number): boolean => (flags & (GAP_FLAG | TERM_START_FLAG)) === (GAP_FLAG | TERM_START_FLAG);
/** Topics only the store writes: a put naming one is MESSAGE_ILLEGAL. */
export const isReservedTopic = (topic: string): boolean => topic === GAP_TOPIC || topic === TERM_TOPIC;

/** The message a term-start record encodes (the term itself is in every record's header). */
export function termStartMessage(now: number): PutMessage {
  return { topic: TERM_TOPIC, queueId: 0, body: Buffer.alloc(0), flags: GAP_FLAG | TERM_START_FLAG, bornTimestamp: now };
}

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
