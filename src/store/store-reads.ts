// The read side of the store: consumers' reads by queue offset (stopping
// at the commit offset: visibility.ts), lookups by id and key (committed or
// not: they are asked for ids a producer was given), and the raw reads a
// master ships to its slaves. Every read that meets a damaged record
// counts it (stats().corruptReads).
import type { CommitLog, RawRead } from "./commit-log.js";
import { getMessages, type GetOptions, type GetResult } from "./get-messages.js";
import type { KeyIndex } from "./key-index.js";
import { findByKey, lookupRecord, type KeyQueryResult, type Lookup } from "./lookup.js";
import type { ResolvedOptions } from "./options.js";
import { lastStoredAt, offsetForTimestamp } from "./queries.js";
import type { QueueTable } from "./queue-table.js";
import { GetStatus, LookupStatus } from "./status.js";
import type { StoredMessage } from "./types.js";

export class StoreReads {
  protected corruptReads = 0;
  /**
   * [from, to): log bytes a readRaw has CRC-checked. A master reads the same
   * bytes once per slave, and each slave checks every CRC again itself, so
   * the second read checks only what the first did not.
   */
  private rawChecked = { from: 0, to: 0 };

  protected constructor(
    protected readonly log: CommitLog,
    protected readonly queues: QueueTable,
    protected readonly keys: KeyIndex,
    private readonly readOpts: Pick<ResolvedOptions, "verifyCrcOnRead" | "log">,
  ) {}

  get minPhysicalOffset(): number {
    return this.log.minOffset;
  }
  get maxPhysicalOffset(): number {
    return this.log.maxOffset;
  }

  /** Messages from `offset`, up to the commit offset; CORRUPT_RECORD (with `corrupt`) when the record there fails its checks. */
  get(topic: string, queueId: number, offset: number, maxCount: number, opts?: GetOptions): GetResult {
    const got = getMessages(this.log, this.queues.get(topic, queueId), offset, maxCount, opts, this.readOpts.verifyCrcOnRead);
    if (got.status === GetStatus.CORRUPT_RECORD) this.corruptReads++;
    return got;
  }

  /** lookup() that tells a damaged record (CORRUPT_RECORD, with `corrupt`) from a missing one. Committed or not. */
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

  /** The queue's [min, max) as readers see it: max stops at the commit offset. */
  queueRange(topic: string, queueId: number): { min: number; max: number } {
    const cq = this.queues.get(topic, queueId);
    return cq ? { min: cq.min, max: cq.visibleMax } : { min: 0, max: 0 };
  }

  /** First queue offset whose message was stored at or after `timestamp`; the visible max if none. */
  offsetForTimestamp(topic: string, queueId: number, timestamp: number): number {
    return offsetForTimestamp(this.log, this.queues.get(topic, queueId), timestamp);
  }

  /** Store time of the queue's newest readable message; 0 when it is empty. */
  lastStoredAt(topic: string, queueId: number): number {
    return lastStoredAt(this.log, this.queues.get(topic, queueId));
  }

  /** Queue ids of the topic that have a consume queue here. */
  queueIds(topic: string): number[] {
    const ids: number[] = [];
    for (const cq of this.queues.all()) if (cq.topic === topic) ids.push(cq.queueId);
    return ids.sort((a, b) => a - b);
  }

  /** Whole records from `offset`, at most maxBytes (at least one record), from one segment; see readRawChecked. */
  readRaw(offset: number, maxBytes: number): Buffer {
    return this.readRawChecked(offset, maxBytes).bytes;
  }

  /**
   * readRaw that says when the record at `offset` fails its checks (CRC,
   * own offset): `corrupt` is set and `bytes` is that record alone, which a
   * slave's appendRaw refuses (CORRUPT). Reads of later records stop before
   * a damaged one, so good bytes are never shipped with bad ones. A master
   * answers such a fetch with CORRUPT_RECORD; the slave cannot get past it
   * from this master (positions must match): it stays behind, and the
   * record's range is in this store's recovery report (quarantine/).
   */
  readRawChecked(offset: number, maxBytes: number): RawRead {
    const c = this.rawChecked;
    const within = offset >= c.from && offset <= c.to;
    const got = this.log.readRaw(offset, maxBytes, this.readOpts.verifyCrcOnRead, within ? c.to : 0);
    const end = got.offset + got.bytes.length;
    if (!got.corrupt && got.bytes.length > 0) {
      if (within && got.offset === offset) c.to = Math.max(c.to, end);
      else this.rawChecked = { from: got.offset, to: end };
    }
    if (got.corrupt) {
      this.corruptReads++;
      this.readOpts.log.error("commit log record failed its checks: not shipped to a slave", { ...got.corrupt });
    }
    return got;
  }

  /** The log was cut at `offset`: bytes appended there later are not the ones checked. */
  protected forgetChecked(offset: number): void {
    if (this.rawChecked.to > offset) this.rawChecked = { from: 0, to: 0 };
  }
}
