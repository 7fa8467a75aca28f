// The store a broker uses (RocketMQ's DefaultMessageStore): commit log,
// consume queues, key index, consumer offsets and topic table in one
// directory, opened with recovery and closed with a checkpoint.
//
// Order of effects for a put (as etcd's Ready spells its own):
//  1. refuse it if the disk is full or the store read-only;
//  2. encode the batch (putEncoded: seal the producer's records in place,
//     put-encoded.ts); if its term is new, write the term history first
//     (config/terms.json, fsynced);
//  3. ONE write to the commit log, then consume-queue entries and key index
//     (all or nothing: append-atomic.ts);
//  4. onAppended(end) listeners (replication wakes held fetches);
//  5. flush per policy (sync flush: the group-commit fsync);
//  6. the commit offset advances: alone (not `replicated`) right after the
//     append, or after its fsync under sync flush; in a group, only when
//     the replication layer calls setCommitOffset (what a majority holds:
//     followers' fetches acknowledge, the offset a slave asks for
//     acknowledging everything before it);
//  7. onArrived listeners, once per queue whose new entries are now
//     visible (held pulls wake);
//  8. the promise resolves. A caller replies to a producer only after that
//     (ack=leader), or once the batch's `end` is committed (ack=quorum).
// Reads (get, queueRange, offsetForTimestamp) never pass the commit offset.
// Lookups by id or key (lookup, findByKey) read what is in the log,
// committed or not: they are asked for ids a producer was given.
//
// One store per folder (data-lock.ts). On a full disk the store opens,
// serves reads and closes without throwing: a checkpoint it cannot write
// is reported once, and the abort marker stays so the next open recovers
// from the older one.
import { appendAtomically, isDiskFull, isErrno, type AppendOutcome, type AppendTarget } from "./append-atomic.js";
import { termStartMessage } from "./gap-record.js";
import { CommitLogFlusher } from "./commit-log-flusher.js";
import { checkRaw } from "./append-raw.js";
import { markClosed, writeCheckpoint, type Checkpoint } from "./checkpoint.js";
import type { DataLock } from "./data-lock.js";
import { FailureLatch } from "./failure-latch.js";
import type { FdCache } from "./fd-cache.js";
import { WriteGate } from "./write-gate.js";
import { ConsumerOffsets } from "./consumer-offsets.js";
import { clampOffsets, logRecovery } from "./recovery-log.js";
import { FlushMode, resolveOptions, type ResolvedOptions, type StoreOptions } from "./options.js";
import { BatchEncoder, refusedResults, type EncodedBatch, type PutResult } from "./put-batch.js";
import { layoutEncoded } from "./put-encoded.js";
import type { RecordBatch } from "../protocol/record-batch.js";
import { encodedSize, encodeRecord } from "./record.js";
import type { RecoveryReport } from "./recovery.js";
import { openParts, type StoreParts } from "./store-open.js";
import { StoreReads } from "./store-reads.js";
import { applyRetention } from "./retention.js";
import { AppendRawStatus, PutStatus, rawStatus } from "./status.js";
import { damageCount, type StoreStats } from "./store-stats.js";
import type { ConsumeQueue } from "./consume-queue.js";
import type { TermHistory, TermStart } from "./term-history.js";
import { TopicTable } from "./topic-config.js";
import { SubscriptionGroupTable } from "./subscription-groups.js";
import { truncateLog } from "./truncate.js";
import type { DispatchEntry, PutMessage } from "./types.js";
import { StoreTimers } from "./store-timers.js";
import { Visibility, type ArrivalListener } from "./visibility.js";

export type { StoreStats } from "./store-stats.js";
const NO_TERMS: readonly TermStart[] = [];
export type { ArrivalListener } from "./visibility.js";
export type { TermStart } from "./term-history.js";

export interface AppendRawResult {
  status: AppendRawStatus;
  /** Records appended (0 when none was). */
  count: number;
  /** Commit-log end after them; -1 when nothing was appended. */
  end: number;
}

export interface StartTermResult {
  status: PutStatus;
  /** Commit-log end after the term-start record; -1 when it was not written. */
  end: number;
}

export class MessageStore extends StoreReads {
  readonly offsets: ConsumerOffsets;
  readonly topics: TopicTable;
  /** Consumer groups' settings (subgroup.upsert). */
  readonly subgroups: SubscriptionGroupTable;
  /** What open() found and repaired. */
  readonly recovery: RecoveryReport;
  private term: number;
  private closed = false;
  private readonly visibility: Visibility;
  private readonly appendedListeners = new Set<(end: number) => void>();
  private readonly encoder: BatchEncoder;
  private readonly flusher: CommitLogFlusher;
  /** Newest store timestamp written to each segment by this process (retention age). */
  private readonly newestInSegment = new Map<number, number>();
  private readonly timers: StoreTimers;
  private readonly latch: FailureLatch;
  private readonly target: AppendTarget;
  private readonly gate: WriteGate;
  private readonly lock: DataLock;
  private readonly fds: FdCache;
  private readonly history: TermHistory;
  private checkpoint: Checkpoint | undefined;

  private constructor(
    readonly dir: string,
    private readonly opts: ResolvedOptions,
    parts: StoreParts,
  ) {
    super(parts.log, parts.queues, parts.keys, opts);
    const { log, queues, history } = parts;
    this.history = history;
    this.checkpoint = parts.checkpoint;
    this.lock = parts.lock;
    this.fds = parts.fds;
    this.recovery = parts.report;
    this.term = Math.max(opts.term, history.lastTerm);
    this.offsets = ConsumerOffsets.open(dir);
    this.topics = TopicTable.open(dir);
    this.subgroups = SubscriptionGroupTable.open(dir);
    this.encoder = new BatchEncoder(log, queues, opts.maxMessageBytes);
    const alone = !opts.replicated;
    this.flusher = new CommitLogFlusher(
      log, opts.fsync, opts.syncFlushTimeoutMs,
      (err) => this.gate.goReadOnly("an fsync of the commit log failed: what it covered may not be on disk", err),
      opts.timers,
      alone && opts.flush === FlushMode.sync ? (flushed) => this.visibility.advance(Math.min(flushed, log.maxOffset)) : undefined,
    );
    this.target = { log, dispatcher: parts.dispatcher, flusher: this.flusher };
    this.latch = new FailureLatch(opts.log);
    this.gate = new WriteGate(dir, opts);
    // alone, everything recovered is visible; in a group, what was known committed at the last flush
    const committed = alone ? log.maxOffset : Math.min(Math.max(parts.checkpoint?.committed ?? 0, log.minOffset), log.maxOffset);
    this.visibility = new Visibility(committed);
    if (alone) for (const cq of queues.all()) cq.vis.all(cq.max);
    else this.visibility.resetAll(queues.all());
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
    let parts: StoreParts | undefined;
    try {
      parts = await openParts(dir, opts);
      const store = new MessageStore(dir, opts, parts);
      parts.report.clampedOffsets = clampOffsets(store.offsets, (t, q) => parts!.queues.get(t, q)?.max);
      logRecovery(opts.log, parts.report);
      if (parts.markerError) store.gate.goReadOnly("the abort marker cannot be written", parts.markerError);
      await store.flush();
      store.timers.start();
      return store;
    } catch (err) {
      parts?.keys.abandon();
      parts?.fds.closeAll();
      parts?.lock.release();
      if (!isDiskFull(err)) throw err;
      // recovery writes consume-queue entries it rebuilds: it cannot finish without room
      throw new Error(`${dir}: the disk is full and recovery must write to it (${String(err)}); free some space, then start the broker again`, { cause: err });
    }
  }

  /** Stores a batch with one commit-log write; see the order of effects above. */
  /**
   * Stores what it can take of `messages`, each with its own status; with
   * `atomic`, all of them or none (what a producer's batch needs: an error
   * reply must mean nothing was stored).
   */
  async put(messages: readonly PutMessage[], opts: { atomic?: boolean } = {}): Promise<PutResult> {
    const now = this.opts.now();
    const refused = this.refusal(now);
    if (refused) return { status: refused, results: refusedResults(messages.length, refused), end: -1 };
    return this.writeBatch(this.encoder.encode(messages, this.term, now, opts.atomic ?? false), now);
  }

  /**
   * Stores a send.batch the producer encoded (RBB2), all or none: `batch`
   * is what walkRecordBatch passed, with every queue picked (no ANY_QUEUE
   * left). Its records are sealed in place in `batch.bytes` and written
   * as they are; otherwise as put().
   */
  async putEncoded(batch: RecordBatch): Promise<PutResult> {
    const now = this.opts.now();
    const refused = this.refusal(now);
    if (refused) return { status: refused, results: refusedResults(batch.count, refused), end: -1 };
    return this.writeBatch(layoutEncoded(this.log, this.queues, this.opts.maxMessageBytes, batch, this.term, now), now);
  }

  /** Steps 2–8 of a put for a batch laid out and encoded at `now`. */
  private async writeBatch(batch: EncodedBatch, now: number): Promise<PutResult> {
    let end = -1;
    if (batch.dispatch.length > 0) {
      const out = this.append(batch.buf, batch.positions, batch.sizes, batch.dispatch, this.termBegun());
      if (!out.ok) {
        for (const r of batch.results) {
          if (r.status !== PutStatus.PUT_OK) continue;
          Object.assign(r, { status: out.status, commitLogOffset: -1, queueOffset: -1, storedAt: 0 });
        }
        return { status: out.status, results: batch.results, end: -1 };
      }
      end = batch.end;
      this.noteWritten(batch.positions, now);
      const flushed = this.appended(end, out.grown);
      if (flushed !== true && !(await flushed)) {
        for (const r of batch.results) if (r.status === PutStatus.PUT_OK) r.status = PutStatus.FLUSH_TIMEOUT;
      }
    }
    const failed = batch.results.find((r) => r.status !== PutStatus.PUT_OK);
    return { status: failed?.status ?? PutStatus.PUT_OK, results: batch.results, end };
  }

  /**
   * Called synchronously when messages become visible (committed), once per
   * queue that gained visible entries, with its new visible max. Returns an unsubscribe.
   */
  onArrived(listener: ArrivalListener): () => void {
    this.visibility.listeners.add(listener);
    return () => this.visibility.listeners.delete(listener);
  }

  /** Called after every successful put/appendRaw/startTerm with the log's end (written, not yet flushed or committed). */
  onAppended(listener: (end: number) => void): () => void {
    this.appendedListeners.add(listener);
    return () => this.appendedListeners.delete(listener);
  }

  /** The term stamped on later puts; a log's terms never go down (RangeError below lastTerm). */
  setTerm(term: number): void {
    if (term < this.history.lastTerm) throw new RangeError(`setTerm(${term}): this log already holds term ${this.history.lastTerm}`);
    this.term = term;
  }

  // --- replication -------------------------------------------------------

  /** Everything before it has been fsynced. */
  get flushedOffset(): number {
    return this.flusher.flushed;
  }

  /** Readers see records that end at or below it. */
  get commitOffset(): number {
    return this.visibility.offset;
  }

  /**
   * Moves the commit offset to `offset`, clamped to [commitOffset,
   * maxPhysicalOffset] (it never goes back, but by truncateTo), and wakes
   * arrival listeners for the queues whose entries it makes visible. A
   * slave passes at most the end of what it appended from its current
   * master (its own tail beyond may not be the master's). Under sync flush
   * a master counts its own flushedOffset toward the majority, not its end.
   */
  setCommitOffset(offset: number): void {
    this.visibility.advance(Math.min(offset, this.log.maxOffset));
  }

  /** Term of the last record in the log (0 if it is empty). */
  get lastTerm(): number {
    return this.history.lastTerm;
  }

  /** Where each term begins, oldest first. */
  terms(): TermStart[] {
    return this.history.terms();
  }

  /** Where the term begins here (the log's end when its first record was appended), undefined if this log holds none. */
  termStart(term: number): number | undefined {
    return this.history.termStart(term);
  }

  /** Start of the first term greater than `term` in this log, or maxPhysicalOffset if none (OffsetsForLeaderEpoch). */
  endOffsetForTerm(term: number): number {
    return this.history.endOffsetForTerm(term, this.log.maxOffset);
  }

  /**
   * A slave's cut when the master's newest term at or before our lastTerm is
   * `masterTerm`, ending at `masterEnd` in its log: a record boundary here,
   * never below where the logs part (term-history.ts). Pass it to truncateTo.
   */
  truncationPoint(masterTerm: number, masterEnd: number): number {
    return this.history.truncationPoint(masterTerm, masterEnd, this.log.maxOffset);
  }

  /**
   * Sets the term for later puts and appends a term-start record (a control
   * record: in no queue or index, copied by slaves like any other). A new
   * master calls it first: committing it commits the earlier terms' tail.
   */
  async startTerm(term: number): Promise<StartTermResult> {
    this.setTerm(term);
    const now = this.opts.now();
    const refused = this.refusal(now);
    if (refused) return { status: refused, end: -1 };
    const m = termStartMessage(now);
    const size = encodedSize(m);
    const positions: number[] = [];
    const end = this.log.layout([size], 1, positions);
    const buf = Buffer.allocUnsafe(size);
    encodeRecord(buf, 0, size, m, term, positions[0]!, 0, now);
    const out = this.append(buf, positions, [size], [], this.termBegun());
    if (!out.ok) return { status: out.status, end: -1 };
    this.noteWritten(positions, now);
    const flushed = this.appended(end, out.grown);
    return { status: flushed === true || (await flushed) ? PutStatus.PUT_OK : PutStatus.FLUSH_TIMEOUT, end };
  }

  /** Appends records read from another store's readRaw, after checking them all. */
  async appendRaw(bytes: Buffer): Promise<AppendRawResult> {
    const refused = this.refusal(this.opts.now());
    if (refused) return { status: rawStatus(refused), count: 0, end: -1 };
    const raw = checkRaw(this.log, this.queues, bytes, this.history.empty ? -1 : this.history.lastTerm);
    if (raw.status !== AppendRawStatus.APPEND_OK || raw.sizes.length === 0) return { status: raw.status, count: 0, end: -1 };
    const out = this.append(bytes, raw.positions, raw.sizes, raw.entries, raw.newTerms);
    if (!out.ok) return { status: rawStatus(out.status), count: 0, end: -1 };
    this.noteWritten(raw.positions, raw.lastStoreTimestamp);
    const flushed = this.appended(raw.end, out.grown);
    const ok = flushed === true || (await flushed);
    return { status: ok ? AppendRawStatus.APPEND_OK : AppendRawStatus.FLUSH_TIMEOUT, count: raw.sizes.length, end: raw.end };
  }

  /**
   * Drops every record from `offset` on (a deposed master's uncommitted
   * tail); `offset` must be a record boundary (endOffsetForTerm and
   * truncationPoint give one). Term history, checkpoint and queue manifest
   * are written at once (truncate.ts); the commit offset goes no further
   * than the cut; the cut records' keys leave the key index, so their ids
   * answer NOT_FOUND (until later records take those offsets).
   */
  truncateTo(offset: number): void {
    if (offset >= this.log.maxOffset) return;
    const { dir, log, queues, keys, flusher, history, visibility } = this;
    this.forgetChecked(offset);
    this.checkpoint = truncateLog({ dir, log, queues, keys, flusher, history, visibility, now: this.opts.now }, offset, this.checkpoint);
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
    // buffered key-index entries and the offset they cover (no fsync: open checks the file against its CRCs)
    await this.latch.attempt("key index", () => this.keys.flush(this.log.maxOffset));
    const dispatched = this.log.maxOffset;
    const queuesSynced = await this.latch.attempt("consume queues (fsync)", async () => {
      for (const cq of this.queues.all()) await cq.fsyncDirty(this.opts.fsync);
    });
    if (!queuesSynced) return false;
    const manifest = await this.latch.attempt("queue manifest", () => this.queues.persistManifest(dispatched));
    const cp: Checkpoint = {
      // this process verified or wrote (and fsynced) everything below the flushed offset
      commitLog: this.flusher.flushed, dispatched, verified: Math.min(this.flusher.flushed, this.log.maxOffset), savedAt: this.opts.now(),
      ...(this.opts.replicated ? { committed: this.visibility.offset } : {}),
    };
    const checkpoint = await this.latch.attempt("checkpoint", () => writeCheckpoint(this.dir, cp));
    if (checkpoint) this.checkpoint = cp;
    return manifest && checkpoint;
  }

  /**
   * Forgets a topic (RocketMQ's deleteTopic): its config, its consume queues
   * and every group's offsets on it. Its records stay in the commit log
   * until retention removes their segments; lookups by id still find them.
   * A send to the topic afterwards starts each queue where it ended.
   */
  async deleteTopic(topic: string): Promise<{ deleted: boolean; queues: number; offsets: number }> {
    const deleted = this.topics.remove(topic);
    const queues = this.retireQueues(topic);
    const offsets = this.offsets.removeTopic(topic);
    // the manifest and checkpoint now, so a crash cannot bring the queues back from the log
    if (queues > 0) await this.flush();
    return { deleted: deleted || queues > 0, queues, offsets };
  }

  /**
   * Removes the topic's consume queues, keeping each one's end so that a
   * queue created again under its name goes on from there (queue offsets
   * are never reused: a slave's copy, or a consumer's position, stays
   * valid). A slave calls it when its master's table no longer has the topic.
   */
  retireQueues(topic: string): number {
    const gone = [...this.queues.all()].filter((cq) => cq.topic === topic);
    for (const cq of gone) this.queues.retire(cq);
    return gone.length;
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
    if (deleted > 0) this.history.dropBefore(this.log.minOffset);
    if (deleted > 0) this.keys.dropBefore(this.log.minOffset);
    return deleted;
  }

  stats(): StoreStats {
    let messages = 0;
    for (const cq of this.queues.all()) messages += cq.max - cq.min;
    return {
      commitLogBytes: this.log.segments.reduce((s, seg) => s + seg.size, 0),
      minOffset: this.log.minOffset, maxOffset: this.log.maxOffset, flushedOffset: this.flusher.flushed,
      commitOffset: this.visibility.offset, lastTerm: this.history.lastTerm,
      segments: this.log.segments.length, queues: this.queues.size, messages,
      indexedKeys: this.keys.size, recovery: this.recovery,
      damaged: damageCount(this.recovery), corruptReads: this.corruptReads,
      disk: this.gate.diskState,
      readOnly: this.gate.readOnly,
      openFiles: this.fds.openCount,
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
    await this.latch.attempt("key index", () => this.keys.close(this.log.maxOffset));
    this.release();
    if (durable) await this.latch.attempt("abort marker (removal)", () => markClosed(this.dir));
    this.lock.release();
  }

  /**
   * What kill -9 leaves behind, for tests and harnesses: stops timers and
   * closes files without flushing, saving anything, or removing the abort marker.
   */
  simulateCrash(): void {
    this.closed = true;
    this.timers.stop();
    this.flusher.abandon();
    this.keys.abandon();
    for (const cq of this.queues.all()) cq.discardTail(); // in memory only: a killed process loses it
    this.release();
    this.lock.drop();
  }

  private release(): void {
    this.log.close();
    this.queues.close();
    this.fds.closeAll();
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

  /** The term a put appended now would begin, if it begins one (nothing is allocated otherwise). */
  private termBegun(): readonly TermStart[] {
    return this.history.isNew(this.term) ? [{ term: this.term, start: this.log.maxOffset }] : NO_TERMS;
  }

  /**
   * Steps 2–3 of a put (and of appendRaw, startTerm): the term history if
   * `terms` holds a new one, then the one write and its queue entries.
   */
  private append(
    buf: Buffer, positions: readonly number[], sizes: readonly number[], entries: readonly DispatchEntry[], terms: readonly TermStart[],
  ): AppendOutcome {
    const start = this.log.maxOffset;
    let out: AppendOutcome;
    try {
      this.history.willAppend(terms);
      out = appendAtomically(this.target, buf, positions, sizes, entries);
    } catch (error) {
      if (!isErrno(error)) throw error;
      out = { ok: false, status: isDiskFull(error) ? PutStatus.DISK_FULL : PutStatus.IO_ERROR, error };
    }
    if (!out.ok) {
      this.history.dropFrom(start); // the file may keep it: open drops a term whose record is not there
      this.gate.failed(out);
      return out;
    }
    this.gate.appended(out.bytes);
    return out;
  }

  /**
   * Steps 4–5: onAppended and the flush per policy (alone, the commit
   * follows: right after the append under async flush, in onFlushed under
   * sync). False: the sync flush timed out. Synchronous unless it waits for
   * an fsync (an async flush adds no promise to a put).
   */
  private appended(end: number, grown: Set<ConsumeQueue>): true | Promise<boolean> {
    const sync = this.opts.flush === FlushMode.sync;
    const waits = this.opts.replicated || sync;
    if (waits) this.visibility.grew(grown); // before the listeners: one may move the commit offset
    if (this.appendedListeners.size > 0) for (const l of this.appendedListeners) l(end);
    // alone under async flush the commit follows at once: no queue waits in the set
    if (!waits) this.visibility.commitAll(grown, this.log.maxOffset);
    return sync ? this.flusher.waitFor(end) : true; // alone, sync: onFlushed commits
  }
}
