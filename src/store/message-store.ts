// The store a broker uses (RocketMQ's DefaultMessageStore): commit log,
// consume queues, key index, consumer offsets and topic table in one
// directory, opened with recovery and closed with a checkpoint.
//
// Order of effects for a put (as etcd's Ready spells its own): encode the
// batch -> ONE write to the commit log -> consume-queue entries and key
// index -> onArrived listeners -> (sync flush) group-commit fsync -> the
// promise resolves. A caller replies to a producer only after that.
import * as fs from "node:fs";
import { CommitLog } from "./commit-log.js";
import { CommitLogFlusher } from "./commit-log-flusher.js";
import { checkRaw } from "./append-raw.js";
import { markClosed, markOpen, readCheckpoint, writeCheckpoint } from "./checkpoint.js";
import type { ConsumeQueue } from "./consume-queue.js";
import { ConsumerOffsets } from "./consumer-offsets.js";
import { Dispatcher } from "./dispatch.js";
import { getMessages, type GetOptions, type GetResult } from "./get-messages.js";
import { KeyIndex } from "./key-index.js";
import { FlushMode, resolveOptions, type ResolvedOptions, type StoreOptions } from "./options.js";
import { BatchEncoder, type PutResult } from "./put-batch.js";
import { QueueTable } from "./queue-table.js";
import { offsetForTimestamp, queryByKey } from "./queries.js";
import { recover, type RecoveryReport } from "./recovery.js";
import { applyRetention } from "./retention.js";
import { AppendRawStatus, PutStatus } from "./status.js";
import { TopicTable } from "./topic-config.js";
import type { PutMessage, StoredMessage } from "./types.js";
import { StoreTimers } from "./store-timers.js";

export type ArrivalListener = (topic: string, queueId: number, maxOffset: number) => void;

export interface AppendRawResult {
  status: AppendRawStatus;
  /** The appended records, decoded (bodies are slices of the input). */
  records: StoredMessage[];
}

export interface StoreStats {
  commitLogBytes: number;
  minOffset: number;
  maxOffset: number;
  flushedOffset: number;
  segments: number;
  queues: number;
  /** Messages reachable through consume queues. */
  messages: number;
  indexedKeys: number;
  recovery: RecoveryReport;
}

export class MessageStore {
  readonly offsets: ConsumerOffsets;
  readonly topics: TopicTable;
  /** What open() found and repaired. */
  readonly recovery: RecoveryReport;
  private term: number;
  private closed = false;
  private readonly listeners = new Set<ArrivalListener>();
  private readonly encoder: BatchEncoder;
  private readonly flusher: CommitLogFlusher;
  /** Newest store timestamp written to each segment by this process (retention age). */
  private readonly newestInSegment = new Map<number, number>();
  private readonly timers: StoreTimers;

  private constructor(
    readonly dir: string,
    private readonly opts: ResolvedOptions,
    private readonly log: CommitLog,
    private readonly queues: QueueTable,
    private readonly keys: KeyIndex,
    private readonly dispatcher: Dispatcher,
    recovery: RecoveryReport,
  ) {
    this.recovery = recovery;
    this.term = opts.term;
    this.offsets = ConsumerOffsets.open(dir);
    this.topics = TopicTable.open(dir);
    this.encoder = new BatchEncoder(log, queues, opts.maxMessageBytes);
    this.flusher = new CommitLogFlusher(log, opts.fsync, opts.syncFlushTimeoutMs);
    // recovered bytes may only be in the page cache (kill -9): open() fsyncs them
    this.flusher.flushed = 0;
    log.markTailDirty();
    this.timers = new StoreTimers(opts, {
      flush: () => this.flush(),
      persistOffsets: () => this.offsets.persistAsync(),
      clean: () => this.cleanExpired(),
    });
  }

  static async open(dir: string, options: StoreOptions = {}): Promise<MessageStore> {
    const opts = resolveOptions(options);
    fs.mkdirSync(dir, { recursive: true });
    const abnormal = markOpen(dir);
    const log = CommitLog.open(dir, opts.segmentBytes);
    const queues = QueueTable.open(dir, opts.cqEntriesPerFile);
    const keys = new KeyIndex(opts.keyIndexMaxKeys);
    const keyIndexCovers = abnormal ? -1 : keys.load(dir);
    const dispatcher = new Dispatcher(queues, keys);
    const checkpoint = readCheckpoint(dir);
    const report = recover({ log, queues, dispatcher, checkpoint, abnormal, keyIndexCovers });
    const store = new MessageStore(dir, opts, log, queues, keys, dispatcher, report);
    await store.flush();
    store.timers.start();
    return store;
  }

  /** Stores a batch with one commit-log write; see the order of effects above. */
  async put(messages: readonly PutMessage[]): Promise<PutResult> {
    if (this.closed) {
      const results = messages.map(() => ({ status: PutStatus.STORE_CLOSED, commitLogOffset: -1, queueOffset: -1, storedAt: 0 }));
      return { status: PutStatus.STORE_CLOSED, results };
    }
    const now = this.opts.now();
    const batch = this.encoder.encode(messages, this.term, now);
    if (batch.dispatch.length > 0) {
      this.log.writeRecords(batch.buf, batch.positions, batch.sizes, batch.sizes.length);
      this.noteWritten(batch.positions, now);
      this.announce(this.dispatcher.dispatch(batch.dispatch));
      if (this.opts.flush === FlushMode.sync && !(await this.flusher.waitFor(batch.end))) {
        for (const r of batch.results) if (r.status === PutStatus.PUT_OK) r.status = PutStatus.FLUSH_TIMEOUT;
      }
    }
    const failed = batch.results.find((r) => r.status !== PutStatus.PUT_OK);
    return { status: failed?.status ?? PutStatus.PUT_OK, results: batch.results };
  }

  get(topic: string, queueId: number, offset: number, maxCount: number, opts?: GetOptions): GetResult {
    return getMessages(this.log, this.queues.get(topic, queueId), offset, maxCount, opts, this.opts.verifyCrcOnRead);
  }

  /** The message at a commit-log offset (a message id), if there is one. */
  lookup(commitLogOffset: number): StoredMessage | undefined {
    return this.log.readRecord(commitLogOffset);
  }

  /** Up to `max` messages of `topic` carrying `key`, newest last. */
  queryByKey(topic: string, key: string, max: number): StoredMessage[] {
    return queryByKey(this.log, this.keys, topic, key, max);
  }

  queueRange(topic: string, queueId: number): { min: number; max: number } {
    const cq = this.queues.get(topic, queueId);
    return cq ? { min: cq.min, max: cq.max } : { min: 0, max: 0 };
  }

  /** First queue offset whose message was stored at or after `timestamp`; max if none. */
  offsetForTimestamp(topic: string, queueId: number, timestamp: number): number {
    return offsetForTimestamp(this.log, this.queues.get(topic, queueId), timestamp);
  }

  /** Called synchronously after every put/appendRaw, once per queue that grew. Returns an unsubscribe. */
  onArrived(listener: ArrivalListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setTerm(term: number): void {
    this.term = term;
  }

  // --- replication -------------------------------------------------------

  get minPhysicalOffset(): number {
    return this.log.minOffset;
  }
  get maxPhysicalOffset(): number {
    return this.log.maxOffset;
  }

  /** Whole records from `offset`, at most maxBytes (at least one record), from one segment. */
  readRaw(offset: number, maxBytes: number): Buffer {
    return this.log.readRaw(offset, maxBytes);
  }

  /** Appends records read from another store's readRaw, after checking them all. */
  async appendRaw(bytes: Buffer): Promise<AppendRawResult> {
    const raw = checkRaw(this.log, this.queues, bytes);
    if (raw.status !== AppendRawStatus.APPEND_OK || raw.records.length === 0) return { status: raw.status, records: [] };
    this.log.writeRecords(bytes, raw.positions, raw.sizes, raw.sizes.length);
    const last = raw.records.at(-1)!;
    this.noteWritten(raw.positions, last.storeTimestamp);
    this.announce(this.dispatcher.dispatch(raw.records));
    if (this.opts.flush === FlushMode.sync && !(await this.flusher.waitFor(raw.end))) {
      return { status: AppendRawStatus.FLUSH_TIMEOUT, records: raw.records };
    }
    return { status: AppendRawStatus.APPEND_OK, records: raw.records };
  }

  /** Drops every record from `offset` on (a deposed master's unreplicated tail). `offset` must be a record boundary. */
  truncateTo(offset: number): void {
    if (offset >= this.log.maxOffset) return;
    if (offset < this.log.minOffset || !this.log.readRecord(offset)) {
      throw new Error(`truncateTo(${offset}): not a record boundary in [${this.log.minOffset}, ${this.log.maxOffset})`);
    }
    this.log.truncateTo(offset);
    this.flusher.truncated(offset);
    for (const cq of this.queues.all()) cq.truncatePhysical(offset);
  }

  // --- housekeeping ------------------------------------------------------

  /**
   * Flushes the commit log, then the consume queues, then records both in
   * the checkpoint (in that order: the checkpoint never claims more than is
   * on disk).
   */
  async flush(): Promise<void> {
    await this.flusher.flush();
    const dispatched = this.log.maxOffset;
    for (const cq of this.queues.all()) for (const seg of cq.takeDirty()) await this.opts.fsync(seg.fd);
    await this.queues.persistManifest();
    await writeCheckpoint(this.dir, { commitLog: this.flusher.flushed, dispatched, savedAt: this.opts.now() });
  }

  /** Applies retention now (also run every cleanIntervalMs). Returns segments deleted. */
  cleanExpired(): number {
    const deleted = applyRetention(this.log, this.queues, {
      retentionMs: this.opts.retentionMs,
      retentionBytes: this.opts.retentionBytes,
      now: this.opts.now(),
      newestIn: (seg) => this.newestInSegment.get(seg.base),
    });
    for (const base of this.newestInSegment.keys()) if (base < this.log.minOffset) this.newestInSegment.delete(base);
    return deleted;
  }

  stats(): StoreStats {
    let messages = 0;
    for (const cq of this.queues.all()) messages += cq.max - cq.min;
    return {
      commitLogBytes: this.log.segments.reduce((s, seg) => s + seg.size, 0),
      minOffset: this.log.minOffset, maxOffset: this.log.maxOffset, flushedOffset: this.flusher.flushed,
      segments: this.log.segments.length, queues: this.queues.size, messages,
      indexedKeys: this.keys.size, recovery: this.recovery,
    };
  }

  /** Flushes everything, saves offsets and the key index, and removes the abort marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.stop();
    await this.timers.idle();
    await this.flush();
    this.offsets.persist();
    this.keys.save(this.dir, this.log.maxOffset);
    this.release();
    markClosed(this.dir);
  }

  /**
   * What kill -9 leaves behind, for tests and harnesses: stops timers and
   * closes files without flushing, saving anything, or removing the abort marker.
   */
  simulateCrash(): void {
    this.closed = true;
    this.timers.stop();
    this.flusher.abandon();
    this.release();
  }

  private release(): void {
    this.log.close();
    this.queues.close();
  }

  private noteWritten(positions: readonly number[], storeTimestamp: number): void {
    const seg = this.opts.segmentBytes;
    for (const p of [positions[0]!, positions.at(-1)!]) {
      const base = p - (p % seg);
      this.newestInSegment.set(base, Math.max(this.newestInSegment.get(base) ?? 0, storeTimestamp));
    }
  }

  private announce(grown: Set<ConsumeQueue>): void {
    if (this.listeners.size === 0) return;
    for (const cq of grown) for (const l of this.listeners) l(cq.topic, cq.queueId, cq.max);
  }
}
