// Lays out a send.batch whose records the producer encoded (RBB2, checked
// by walkRecordBatch): assigns each record its queue offset and commit-log
// position and seals it in place in the request's own buffer (term,
// offsets, store time, CRC), so the bytes received are the bytes written,
// with no copy of any body. All or none: one record the store cannot take
// refuses the batch before anything is assigned. Synchronous, as
// BatchEncoder, so no other put interleaves between layout and write.
import type { CommitLog } from "./commit-log.js";
import { MAX_QUEUE_ID, NextQueueOffsets, refusedResults, type EncodedBatch, type PutMessageResult } from "./put-batch.js";
import type { QueueTable } from "./queue-table.js";
import { sealRecord } from "./record.js";
import { PutStatus } from "./status.js";
import type { DispatchEntry } from "./types.js";
import { RECORD_BATCH_HEADER_BYTES, type RecordBatch } from "../protocol/record-batch.js";

/** Why the store refuses the batch, if it does: a queue not picked (ANY_QUEUE left in) or a record over the limit. */
function refusal(batch: RecordBatch, maxMessageBytes: number): PutStatus | undefined {
  for (let i = 0; i < batch.count; i++) {
    if (batch.queueIds[i]! > MAX_QUEUE_ID) return PutStatus.MESSAGE_ILLEGAL;
    if (batch.sizes[i]! > maxMessageBytes) return PutStatus.MESSAGE_TOO_LARGE;
  }
  return undefined;
}

export function layoutEncoded(
  log: CommitLog, queues: QueueTable, maxMessageBytes: number, batch: RecordBatch, term: number, now: number,
): EncodedBatch {
  const n = batch.count;
  const buf = batch.bytes.subarray(RECORD_BATCH_HEADER_BYTES);
  const refused = refusal(batch, maxMessageBytes);
  if (refused !== undefined) return { results: refusedResults(n, refused), dispatch: [], buf, positions: [], sizes: [], end: -1 };
  const { sizes, queueIds, topics, tags, keys } = batch;
  const positions: number[] = [];
  const end = log.layout(sizes, n, positions);
  const next = new NextQueueOffsets(queues);
  const results: PutMessageResult[] = new Array(n);
  const dispatch: DispatchEntry[] = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const size = sizes[i]!;
    const pos = positions[i]!;
    const topic = topics[i]!;
    const queueId = queueIds[i]!;
    const queueOffset = next.take(topic, queueId);
    sealRecord(buf, at, size, term, pos, queueId, queueOffset, now);
    at += size;
    results[i] = { status: PutStatus.PUT_OK, commitLogOffset: pos, queueOffset, storedAt: now };
    dispatch[i] = { topic, queueId, queueOffset, commitLogOffset: pos, size, tags: tags[i]!, keys: keys[i]! };
  }
  return { results, dispatch, buf, positions, sizes, end };
}
