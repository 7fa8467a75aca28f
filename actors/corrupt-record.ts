// A damaged record on the wire: CORRUPT_RECORD with the offsets a consumer
// steps over and an operator looks up (rbus store verify, the quarantine).
import { ErrorCode, RbusError, type ErrorDetails } from "../src/protocol/index.js";
import type { CorruptRecord } from "../src/store/index.js";

export function corruptDetails(c: CorruptRecord): ErrorDetails {
  const { topic, queueId, queueOffset, commitLogOffset, nextOffset } = c;
  return { topic, queueId, queueOffset, commitLogOffset, nextOffset };
}

export function corruptRecordError(c: CorruptRecord): RbusError {
  const where = c.commitLogOffset < 0 ? "(its index entry is empty)" : `(commit log ${c.commitLogOffset})`;
  return new RbusError(
    ErrorCode.CORRUPT_RECORD,
    `the record at ${c.topic}/${c.queueId} offset ${c.queueOffset} ${where} failed its checks; the next message is at ${c.nextOffset}`,
    corruptDetails(c),
  );
}
