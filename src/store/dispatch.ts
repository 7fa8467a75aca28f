// Turns appended records into consume-queue entries and key-index entries
// (RocketMQ's CommitLogDispatcher). Runs inline after every append, after
// appendRaw on a slave, and over the log during recovery. Replaying a
// record that a queue already holds is a no-op, so recovery can start
// from any record boundary at or before where the queues stopped.
import { CQ_ENTRY_BYTES, type ConsumeQueue } from "./consume-queue.js";
import type { KeyIndex } from "./key-index.js";
import type { QueueTable } from "./queue-table.js";
import { writeU64 } from "./record.js";
import { tagHashParts } from "./tag-hash.js";
import type { DispatchEntry } from "./types.js";

export class Dispatcher {
  private scratch = Buffer.allocUnsafe(256 * CQ_ENTRY_BYTES);
  private readonly tagCache = new Map<string, [number, number]>();
  /** The last dispatch's queues and their (max, min) before it, for undoLast(). */
  private readonly touched: ConsumeQueue[] = [];
  private readonly before: number[] = [];
  private readonly created: ConsumeQueue[] = [];

  constructor(private readonly queues: QueueTable, private readonly keys: KeyIndex) {}

  /**
   * Dispatches a batch in log order. `indexKeys` false skips the key index
   * (recovery replays parts it already has). Returns the queues that grew.
   */
  dispatch(batch: readonly DispatchEntry[], indexKeys = true): Set<ConsumeQueue> {
    const byQueue = new Map<ConsumeQueue, DispatchEntry[]>();
    this.touched.length = this.before.length = this.created.length = 0;
    // the queue of the entry before, and this batch's queues by topic: no key string per entry
    let lastTopic = "";
    let ofTopic: (ConsumeQueue | undefined)[] = [];
    const byTopic = new Map<string, (ConsumeQueue | undefined)[]>();
    for (const e of batch) {
      if (indexKeys) this.keys.add(e.topic, e.keys, e.commitLogOffset);
      if (e.topic !== lastTopic) {
        lastTopic = e.topic;
        ofTopic = byTopic.get(e.topic) ?? [];
        byTopic.set(e.topic, ofTopic);
      }
      let cq = ofTopic[e.queueId] ?? this.queues.get(e.topic, e.queueId);
      if (!cq) {
        // a record of a deleted topic (replayed after a crash, or reaching a slave late) makes no queue again
        if (e.queueOffset < this.queues.nextOffsetOfNew(e.topic, e.queueId)) continue;
        this.created.push((cq = this.queues.getOrCreate(e.topic, e.queueId)));
      }
      if (e.queueId < 65536) ofTopic[e.queueId] = cq;
      if (e.queueOffset < cq.max) continue; // already there
      let list = byQueue.get(cq);
      if (!list) {
        byQueue.set(cq, (list = []));
        this.touched.push(cq);
        this.before.push(cq.max, cq.min);
      }
      list.push(e);
    }
    for (const [cq, list] of byQueue) this.appendRuns(cq, list);
    return new Set(byQueue.keys());
  }

  /**
   * Takes back what the last dispatch() wrote (it threw, or the append it
   * belongs to failed): every queue it touched goes back to its old end,
   * and queues it created are dropped. Key-index entries stay: they are
   * hints that queryByKey re-checks against the record.
   */
  undoLast(): void {
    const created = new Set(this.created);
    for (let i = 0; i < this.touched.length; i++) {
      const cq = this.touched[i]!;
      if (created.has(cq)) continue; // dropped whole below, without reopening its file
      cq.truncateLogical(this.before[2 * i]!);
      cq.min = this.before[2 * i + 1]!;
    }
    for (const cq of created) this.queues.drop(cq);
    this.touched.length = this.before.length = this.created.length = 0;
  }

  /** One write per run of consecutive queue offsets (normally the whole list). */
  private appendRuns(cq: ConsumeQueue, list: DispatchEntry[]): void {
    if (this.scratch.length < list.length * CQ_ENTRY_BYTES) {
      this.scratch = Buffer.allocUnsafe(list.length * CQ_ENTRY_BYTES * 2);
    }
    const buf = this.scratch;
    let runStart = 0;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      const at = (i - runStart) * CQ_ENTRY_BYTES;
      const [hi, lo] = this.hashOf(e.tags);
      writeU64(buf, at, e.commitLogOffset);
      buf.writeUInt32BE(e.size, at + 8);
      buf.writeUInt32BE(hi, at + 12);
      buf.writeUInt32BE(lo, at + 16);
      const next = list[i + 1];
      if (!next || next.queueOffset !== e.queueOffset + 1) {
        cq.append(list[runStart]!.queueOffset, buf, i - runStart + 1);
        runStart = i + 1;
      }
    }
  }

  private hashOf(tags: string): [number, number] {
    let h = this.tagCache.get(tags);
    if (!h) {
      if (this.tagCache.size >= 4096) this.tagCache.clear();
      this.tagCache.set(tags, (h = tagHashParts(tags)));
    }
    return h;
  }
}
