// Checks bytes produced by another store (a master's readRaw) before a slave
// appends them: every record must pass its CRC, sit exactly where this
// log's placement rule puts it, and not go back in its queue. All or
// nothing: one bad record rejects the lot.
import { placeRecord, type CommitLog } from "./commit-log.js";
import { isGap } from "./gap-record.js";
import { isTopicName } from "./put-batch.js";
import type { QueueTable } from "./queue-table.js";
import { checkRecord, decodeRecord, recordPhysicalOffset, recordSize } from "./record.js";
import { AppendRawStatus, RecordStatus } from "./status.js";
import type { StoredMessage } from "./types.js";

export interface CheckedRaw {
  status: AppendRawStatus;
  records: StoredMessage[];
  positions: number[];
  sizes: number[];
  end: number;
}

export function checkRaw(log: CommitLog, queues: QueueTable, bytes: Buffer): CheckedRaw {
  const records: StoredMessage[] = [];
  const positions: number[] = [];
  const sizes: number[] = [];
  const next = new Map<string, number>();
  let pos = log.maxOffset;
  let at = 0;
  const fail = (status: AppendRawStatus): CheckedRaw => ({ status, records: [], positions: [], sizes: [], end: log.maxOffset });
  while (at < bytes.length) {
    if (checkRecord(bytes, at, bytes.length) !== RecordStatus.OK) return fail(AppendRawStatus.CORRUPT);
    const size = recordSize(bytes, at);
    if (size > log.segmentBytes) return fail(AppendRawStatus.CORRUPT);
    const expected = placeRecord(pos, size, log.segmentBytes);
    if (recordPhysicalOffset(bytes, at) !== expected) return fail(AppendRawStatus.OFFSET_MISMATCH);
    const m = decodeRecord(bytes, at);
    if (!isTopicName(m.topic)) return fail(AppendRawStatus.CORRUPT);
    if (!isGap(m.flags)) {
      const qkey = `${m.topic}/${m.queueId}`;
      const queueNext = next.get(qkey) ?? queues.get(m.topic, m.queueId)?.max ?? 0;
      if (m.queueOffset < queueNext) return fail(AppendRawStatus.OFFSET_MISMATCH);
      next.set(qkey, m.queueOffset + 1);
    }
    records.push(m);
    positions.push(expected);
    sizes.push(size);
    pos = expected + size;
    at += size;
  }
  return { status: AppendRawStatus.APPEND_OK, records, positions, sizes, end: pos };
}
