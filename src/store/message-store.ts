// The store a broker uses (RocketMQ's DefaultMessageStore): commit log,
// consume queues, key index, consumer offsets and topic table in one
// directory, opened with recovery and closed with a checkpoint.
//
// Order of effects for a put (as etcd's Ready spells its own): refuse it
// if the disk is full or the store read-only -> encode the batch -> ONE
// write to the commit log -> consume-queue entries and key index (all or
// nothing: append-atomic.ts) -> onArrived listeners -> (sync flush)
// group-commit fsync -> the promise resolves. A caller replies to a
// producer only after that.
//
// One store per folder (data-lock.ts). On a full disk the store opens,
// serves reads and closes without throwing: a checkpoint it cannot write
// is reported once, and the abort marker stays so the next open recovers
// from the older one.
import * as fs from "node:fs";
import * as path from "node:path";
import { appendAtomically, isDiskFull, type AppendTarget } from "./append-atomic.js";
import { CommitLog } from "./commit-log.js";
import { isGap } from "./gap-record.js";
import { CommitLogFlusher } from "./commit-log-flusher.js";
import { checkRaw } from "./append-raw.js";
import { sweepTempFiles } from "./atomic-file.js";
import { markClosed, openMarker, readCheckpoint, writeCheckpoint } from "./checkpoint.js";
import { lockDataDir, type DataLock } from "./data-lock.js";
import { FailureLatch } from "./failure-latch.js";
import { FdCache, openFileBudget } from "./fd-cache.js";
import { WriteGate } from "./write-gate.js";
import type { ConsumeQueue } from "./consume-queue.js";
import { ConsumerOffsets } from "./consumer-offsets.js";
import { Dispatcher } from "./dispatch.js";
import { getMessages, type GetOptions, type GetResult } from "./get-messages.js";
import { findByKey, lookupRecord, type KeyQueryResult, type Lookup } from "./lookup.js";
import { Quarantine } from "./quarantine.js";
import { clampOffsets, logRecovery } from "./recovery-log.js";
import { KeyIndex } from "./key-index.js";
import { FlushMode, resolveOptions, type ResolvedOptions, type StoreOptions } from "./options.js";
import { BatchEncoder, type PutResult } from "./put-batch.js";
import { QueueTable } from "./queue-table.js";
import { offsetForTimestamp } from "./queries.js";
import { recover, type RecoveryReport } from "./recovery.js";
import { applyRetention } from "./retention.js";
import { AppendRawStatus, GetStatus, LookupStatus, PutStatus, rawStatus } from "./status.js";
import { damageCount, type StoreStats } from "./store-stats.js";
import { TopicTable } from "./topic-config.js";
import type { PutMessage, StoredMessage } from "./types.js";
import { StoreTimers } from "./store-timers.js";

export type { StoreStats } from "./store-stats.js";

export type ArrivalListener = (topic: string, queueId: number, maxOffset: number) => void;

export interface AppendRawResult {
  status: AppendRawStatus;
  /** The appended records, decoded (bodies are slices of the input). */
  records: StoredMessage[];
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
  private corruptReads = 0;
  private readonly latch: FailureLatch;
  private readonly target: AppendTarget;
  private readonly gate: WriteGate;
  private lock: DataLock | undefined;
  private fds: FdCache | undefined;

  private constructor(
    readonly dir: string,
    private readonly opts: ResolvedOptions,
    private readonly log: CommitLog,
    private readonly queues: QueueTable,
    private readonly keys: KeyIndex,
    dispatcher: Dispatcher,
    recovery: RecoveryReport,
  ) {
    this.recovery = recovery;
    this.term = opts.term;
    this.offsets = ConsumerOffsets.open(dir);
    this.topics = TopicTable.open(dir);
    this.encoder = new BatchEncoder(log, queues, opts.maxMessageBytes);
    this.flusher = new CommitLogFlusher(log, opts.fsync, opts.syncFlushTimeoutMs, (err) =>
      this.gate.goReadOnly("an fsync of the commit log failed: what it covered may not be on disk", err),
    );
    this.target = { log, dispatcher, flusher: this.flusher };
    this.latch = new FailureLatch(opts.log);
    this.gate = new WriteGate(dir, opts);
    // recovered bytes may only be in the page cache (kill -9): open() fsyncs them
    this.flusher.flushed = 0;
    log.markTailDirty();
    this.timers = new StoreTimers(opts, {
      flush: async () => void (await this.flush()),
      persistOffsets: async () => void (await this.latch.attempt("consumer offsets", () => this.offsets.persistAsync())),
      clean: () => this.cleanExpired(),
    });
  }

  /** Throws DataDirLockedError (naming the holder's pid) when another store has `dir` open. */
  static async open(dir: string, options: StoreOptions = {}): Promise<MessageStore> {
    const opts = resolveOptions(options);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lock = await lockDataDir(dir);
    const fds = new FdCache(openFileBudget(opts.maxOpenFiles), (n) => opts.log.warn("out of file descriptors: fewer files kept open", { maxOpenFiles: n }));
    try {
      sweepTempFiles([dir, path.join(dir, "config"), path.join(dir, "index")]);
      const marker = openMarker(dir);
      const abnormal = marker.abnormal;
      const log = CommitLog.open(dir, opts.segmentBytes, fds);
      const queues = QueueTable.open(dir, opts.cqEntriesPerFile, fds);
      const keys = new KeyIndex(opts.keyIndexMaxKeys);
      const keyIndexCovers = abnormal ? -1 : keys.load(dir);
      const dispatcher = new Dispatcher(queues, keys);
      const checkpoint = readCheckpoint(dir);
      const quarantine = new Quarantine(dir, opts.now);
      const report = recover({ log, queues, dispatcher, checkpoint, abnormal, keyIndexCovers, quarantine, term: opts.term, now: opts.now() });
      const store = new MessageStore(dir, opts, log, queues, keys, dispatcher, report);
      store.lock = lock;
      store.fds = fds;
      report.clampedOffsets = clampOffsets(store.offsets, (t, q) => queues.get(t, q)?.max);
      logRecovery(opts.log, report);
      if (marker.error) store.gate.goReadOnly("the abort marker cannot be written", marker.error);
      await store.flush();
      store.timers.start();
      return store;
    } catch (err) {
      fds.closeAll();
      lock.release();
      if (!isDiskFull(err)) throw err;
      // recovery writes consume-queue entries it rebuilds: it cannot finish without room
      throw new Error(`${dir}: the disk is full and recovery must write to it (${String(err)}); free some space, then start the broker again`, { cause: err });
    }
  }

  /** Stores a batch with one commit-log write; see the order of effects above. */
  async put(messages: readonly PutMessage[]): Promise<PutResult> {
    const now = this.opts.now();
    const refused = this.refusal(now);
    if (refused) {
      const results = messages.map(() => ({ status: refused, commitLogOffset: -1, queueOffset: -1, storedAt: 0 }));
      return { status: refused, results };
    }
    const batch = this.encoder.encode(messages, this.term, now);
    if (batch.dispatch.length > 0) {
      const out = appendAtomically(this.target, batch.buf, batch.positions, batch.sizes, batch.dispatch);
      if (!out.ok) {
        this.gate.failed(out);
        for (const r of batch.results) {
          if (r.status !== PutStatus.PUT_OK) continue;
          Object.assign(r, { status: out.status, commitLogOffset: -1, queueOffset: -1, storedAt: 0 });
        }
        return { status: out.status, results: batch.results };
      }
      this.gate.appended(out.bytes);
      this.noteWritten(batch.positions, now);
      this.announce(out.grown);
      if (this.opts.flush === FlushMode.sync && !(await this.flusher.waitFor(batch.end))) {
        for (const r of batch.results) if (r.status === PutStatus.PUT_OK) r.status = PutStatus.FLUSH_TIMEOUT;
      }
    }
    const failed = batch.results.find((r) => r.status !== PutStatus.PUT_OK);
    return { status: failed?.status ?? PutStatus.PUT_OK, results: batch.results };
  }

  /** Messages from `offset`; CORRUPT_RECORD (with `corrupt`) when the record there fails its checks. */
  get(topic: string, queueId: number, offset: number, maxCount: number, opts?: GetOptions): GetResult {
    const got = getMessages(this.log, this.queues.get(topic, queueId), offset, maxCount, opts, this.opts.verifyCrcOnRead);
    if (got.status === GetStatus.CORRUPT_RECORD) this.corruptReads++;
    return got;
  }

  /** lookup() that tells a damaged record (CORRUPT_RECORD, with `corrupt`) from a missing one. */
  lookupStatus(commitLogOffset: number): Lookup {
    const found = lookupRecord(this.log, commitLogOffset);
    if (found.status === GetStatus.CORRUPT_RECORD) this.corruptReads++;
    return found;
  }

  /** queryByKey() plus the damaged records the key index points at. */
  findByKey(topic: string, key: string, max: number): KeyQueryResult {
    const found = findByKey(this.log, this.keys, topic, key, max);
    this.corruptReads += found.corrupt.length;
    return found;
  }

  /** The message at a commit-log offset (a message id), if there is one and it is intact. */
  lookup(commitLogOffset: number): StoredMessage | undefined {
    const found = this.lookupStatus(commitLogOffset);
    return found.status === LookupStatus.FOUND ? found.message : undefined;
  }

  /** Up to `max` intact messages of `topic` carrying `key`, newest last. */
  queryByKey(topic: string, key: string, max: number): StoredMessage[] {
    return this.findByKey(topic, key, max).messages;
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
    const refused = this.refusal(this.opts.now());
    if (refused) return { status: rawStatus(refused), records: [] };
    const raw = checkRaw(this.log, this.queues, bytes);
    if (raw.status !== AppendRawStatus.APPEND_OK || raw.records.length === 0) return { status: raw.status, records: [] };
    const entries = raw.records.some((r) => isGap(r.flags)) ? raw.records.filter((r) => !isGap(r.flags)) : raw.records;
    const out = appendAtomically(this.target, bytes, raw.positions, raw.sizes, entries);
    if (!out.ok) {
      this.gate.failed(out);
      return { status: rawStatus(out.status), records: [] };
    }
    this.gate.appended(out.bytes);
    const last = raw.records.at(-1)!;
    this.noteWritten(raw.positions, last.storeTimestamp);
    this.announce(out.grown);
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
   * on disk). Never throws for I/O: a step that fails is reported once (not
   * every tick) and the checkpoint is not moved. Returns whether every step
   * succeeded.
   */
  async flush(): Promise<boolean> {
    if (!(await this.latch.attempt("commit log (fsync)", () => this.flusher.flush()))) return false;
    const dispatched = this.log.maxOffset;
    const queuesSynced = await this.latch.attempt("consume queues (fsync)", async () => {
      for (const cq of this.queues.all()) await cq.fsyncDirty(this.opts.fsync);
    });
    if (!queuesSynced) return false;
    const manifest = await this.latch.attempt("queue manifest", () => this.queues.persistManifest(dispatched));
    const checkpoint = await this.latch.attempt("checkpoint", () =>
      writeCheckpoint(this.dir, {
        // this process verified or wrote (and fsynced) everything below the flushed offset
        commitLog: this.flusher.flushed, dispatched, verified: Math.min(this.flusher.flushed, this.log.maxOffset), savedAt: this.opts.now(),
      }),
    );
    return manifest && checkpoint;
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
      damaged: damageCount(this.recovery), corruptReads: this.corruptReads,
      disk: this.gate.diskState,
      readOnly: this.gate.readOnly,
      openFiles: this.fds?.openCount ?? 0,
    };
  }

  /**
   * Flushes everything, saves offsets and the key index, and removes the
   * abort marker. Does not throw for I/O (a full disk): what cannot be
   * written is reported, and if the final checkpoint is not written the
   * abort marker stays, so the next open recovers from the older one.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.stop();
    await this.timers.idle();
    const durable = await this.flush();
    await this.latch.attempt("consumer offsets", () => this.offsets.persist());
    await this.latch.attempt("key index", () => this.keys.save(this.dir, this.log.maxOffset));
    this.release();
    if (durable) await this.latch.attempt("abort marker (removal)", () => markClosed(this.dir));
    this.lock?.release();
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
    this.lock?.drop();
  }

  private release(): void {
    this.log.close();
    this.queues.close();
    this.fds?.closeAll();
  }

  private refusal(now: number): PutStatus | undefined {
    return this.closed ? PutStatus.STORE_CLOSED : this.gate.refusal(now);
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
