// Lays out and encodes one put() batch: checks each message, assigns its
// queue offset and commit-log position, and encodes every accepted record
// back to back into one reused buffer, ready for a single write. Runs
// synchronously, so no other put can interleave between offset
// assignment and the write.
import type { CommitLog } from "./commit-log.js";
import { isGap, isReservedTopic } from "./gap-record.js";
import type { QueueTable } from "./queue-table.js";
import { encodedSize, encodeRecord } from "./record.js";
import { PutStatus } from "./status.js";
import type { DispatchEntry, PutMessage } from "./types.js";
import { isTopicName } from "../protocol/subjects.js";

export interface PutMessageResult {
  status: PutStatus;
  /** -1 when not stored. */
  commitLogOffset: number;
  /** -1 when not stored. */
  queueOffset: number;
  /** Store timestamp, ms (0 when not stored). */
  storedAt: number;
}

export interface PutResult {
  /** PUT_OK if every message was stored (and flushed, under sync flush); else the first failure. */
  status: PutStatus;
  results: PutMessageResult[];
  /** Commit-log end after this batch (what a replicated put waits to see committed); -1 when nothing was written. */
  end: number;
}

export interface EncodedBatch {
  results: PutMessageResult[];
  dispatch: DispatchEntry[];
  buf: Buffer;
  positions: number[];
  sizes: number[];
  /** Commit-log offset just past the batch. */
  end: number;
}

/** RocketMQ's topic rule (TopicValidator); it also keeps topics safe as directory names. */
export const MAX_QUEUE_ID = 0x7fffffff;

/** The encoded size, or why the message cannot be stored. `topicChecked`: its topic already passed (a batch checks each run of one topic once). */
export function checkMessage(m: PutMessage, maxMessageBytes: number, topicChecked = false): number | PutStatus {
  if (!topicChecked && (!isTopicName(m.topic) || isReservedTopic(m.topic))) return PutStatus.MESSAGE_ILLEGAL;
  if (!Number.isInteger(m.queueId) || m.queueId < 0 || m.queueId > MAX_QUEUE_ID) return PutStatus.MESSAGE_ILLEGAL;
  if (!(m.body instanceof Uint8Array)) return PutStatus.MESSAGE_ILLEGAL;
  if (m.flags !== undefined && isGap(m.flags)) return PutStatus.MESSAGE_ILLEGAL; // recovery's alone
  const size = encodedSize(m);
  if (size < 0) return PutStatus.MESSAGE_ILLEGAL;
  return size > maxMessageBytes ? PutStatus.MESSAGE_TOO_LARGE : size;
}

/** The topic rule the protocol edge checks too. */
export { isTopicName };

/**
 * Hands out the queue offsets of one batch in order: each queue goes on
 * from its end, or where a deleted queue of that name ended. A batch is
 * mostly one topic, so no key string per message.
 */
export class NextQueueOffsets {
  private readonly byTopic = new Map<string, Map<number, number>>();
  private topic: string | undefined;
  private next = new Map<number, number>();

  constructor(private readonly queues: QueueTable) {}

  take(topic: string, queueId: number): number {
    if (topic !== this.topic) {
      this.topic = topic;
      this.next = this.byTopic.get(topic) ?? new Map<number, number>();
      this.byTopic.set(topic, this.next);
    }
    const offset = this.next.get(queueId) ?? this.queues.get(topic, queueId)?.max ?? this.queues.nextOffsetOfNew(topic, queueId);
    this.next.set(queueId, offset + 1);
    return offset;
  }
}

/** Every result of a batch the store refuses whole. */
export function refusedResults(count: number, status: PutStatus): PutMessageResult[] {
  const results: PutMessageResult[] = new Array(count);
  for (let i = 0; i < count; i++) results[i] = { status, commitLogOffset: -1, queueOffset: -1, storedAt: 0 };
  return results;
}

export class BatchEncoder {
  private scratch = Buffer.allocUnsafe(1 << 20);

  constructor(private readonly log: CommitLog, private readonly queues: QueueTable, private readonly maxMessageBytes: number) {}

  /** `atomic`: one message the store cannot take refuses them all, and nothing is laid out (a send.batch is all or nothing). */
  encode(messages: readonly PutMessage[], term: number, now: number, atomic = false): EncodedBatch {
    const results: PutMessageResult[] = new Array(messages.length);
    const accepted: PutMessage[] = [];
    const sizes: number[] = [];
    let total = 0;
    let goodTopic: string | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const size = checkMessage(m, this.maxMessageBytes, m.topic === goodTopic);
      if (typeof size === "number") {
        goodTopic = m.topic;
        accepted.push(m);
        sizes.push(size);
        total += size;
        results[i] = { status: PutStatus.PUT_OK, commitLogOffset: -1, queueOffset: -1, storedAt: now };
      } else {
        results[i] = { status: size, commitLogOffset: -1, queueOffset: -1, storedAt: 0 };
      }
    }
    if (atomic && accepted.length !== messages.length) {
      const refused = results.find((x) => x.status !== PutStatus.PUT_OK)!.status;
      for (const x of results) if (x.status === PutStatus.PUT_OK) Object.assign(x, { status: refused, storedAt: 0 });
      return { results, dispatch: [], buf: this.scratch, positions: [], sizes: [], end: -1 };
    }
    const positions: number[] = [];
    const end = this.log.layout(sizes, sizes.length, positions);
    if (this.scratch.length < total) this.scratch = Buffer.allocUnsafe(Math.max(total, this.scratch.length * 2));
    const buf = this.scratch;
    const next = new NextQueueOffsets(this.queues);
    const dispatch: DispatchEntry[] = new Array(accepted.length);
    let at = 0;
    let r = 0;
    for (let i = 0; i < accepted.length; i++) {
      const m = accepted[i]!;
      const size = sizes[i]!;
      const pos = positions[i]!;
      const queueOffset = next.take(m.topic, m.queueId);
      encodeRecord(buf, at, size, m, term, pos, queueOffset, now);
      at += size;
      while (results[r]!.status !== PutStatus.PUT_OK) r++;
      const res = results[r++]!;
      res.commitLogOffset = pos;
      res.queueOffset = queueOffset;
      dispatch[i] = {
        topic: m.topic, queueId: m.queueId, queueOffset, commitLogOffset: pos, size,
        tags: m.tags ?? "", keys: m.keys ?? "",
      };
    }
    return { results, dispatch, buf, positions, sizes, end };
  }
}
