// Every consume queue of the store, by (topic, queueId), plus a manifest
// (<dir>/config/queues.json) of the queues that exist and each one's
// [min, max) as of the last flush that changed one. The manifest is how
// recovery notices damaged queue files: a listed queue with no files, or no
// manifest at all, means rebuilding consume queues from the start of the
// commit log; a queue whose files now end below its recorded max or start
// above its recorded min lost entries (queue-repair.ts). Format:
//   {"v":2,"dispatched":<commit-log offset>,"queues":{"<topic>/<id>":[min,max],...}}
// An older manifest, a plain list of keys, is still read (no ranges).
// "floors" (optional) hold, for queues of deleted topics, the queue offset
// a queue created again under that key starts at: queue offsets are never
// handed out twice, so a slave that still holds the old entries, or a
// consumer that read them, never meets a second message at one offset.
import * as fs from "node:fs";
import * as path from "node:path";
import { ConsumeQueue, CQ_ENTRIES_PER_FILE } from "./consume-queue.js";
import { FdCache } from "./fd-cache.js";
import { readJsonFile, writeFileAtomic, writeFileAtomicAsync } from "./atomic-file.js";

const key = (topic: string, queueId: number): string => `${topic}/${queueId}`;

/** A queue's [min, max) as the manifest recorded it. */
export interface QueueRange {
  min: number;
  max: number;
}

interface ManifestV2 {
  v: 2;
  /** Commit-log end the consume queues covered when the ranges were taken. */
  dispatched: number;
  queues: Record<string, [number, number]>;
  floors?: Record<string, number>;
}

function parseManifest(raw: unknown): { keys: string[]; ranges: Map<string, QueueRange>; dispatched?: number; floors?: Map<string, number> } | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) return { keys: raw.filter((k): k is string => typeof k === "string"), ranges: new Map() };
  const m = raw as Partial<ManifestV2>;
  const ranges = new Map<string, QueueRange>();
  for (const [k, r] of Object.entries(m.queues ?? {})) {
    if (Array.isArray(r) && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1])) ranges.set(k, { min: r[0], max: r[1] });
  }
  const dispatched = Number.isSafeInteger(m.dispatched) ? m.dispatched : undefined;
  const floors = new Map<string, number>();
  for (const [k, f] of Object.entries(m.floors ?? {})) if (Number.isSafeInteger(f) && f > 0) floors.set(k, f);
  return { keys: Object.keys(m.queues ?? {}), ranges, floors, ...(dispatched === undefined ? {} : { dispatched }) };
}

export class QueueTable {
  private readonly queues = new Map<string, ConsumeQueue>();
  /** Where a queue of a deleted topic starts again (see the head of this file). */
  private readonly floors = new Map<string, number>();
  private manifestDirty = false;
  /** [min, max] per queue as last written, to tell whether a flush must rewrite the manifest. */
  private written = new Map<string, [number, number]>();
  /** True when a queue the manifest lists has lost its files, or there is no manifest. */
  lostQueues = false;
  /** Ranges the manifest recorded at open (empty for an old manifest). */
  recorded = new Map<string, QueueRange>();
  /** Commit-log offset the recorded ranges cover; undefined without ranges. */
  recordedDispatched: number | undefined;

  private constructor(
    private readonly root: string,
    private readonly manifest: string,
    private readonly entriesPerFile: number,
    private readonly fds: FdCache,
  ) {}

  static open(dir: string, entriesPerFile = CQ_ENTRIES_PER_FILE, fds = new FdCache()): QueueTable {
    const t = new QueueTable(path.join(dir, "consumequeue"), path.join(dir, "config", "queues.json"), entriesPerFile, fds);
    fs.mkdirSync(t.root, { recursive: true, mode: 0o700 });
    for (const topic of fs.readdirSync(t.root)) {
      const topicDir = path.join(t.root, topic);
      if (!fs.statSync(topicDir).isDirectory()) continue;
      for (const q of fs.readdirSync(topicDir)) {
        if (!/^\d+$/.test(q)) continue;
        const cq = ConsumeQueue.open(t.root, topic, Number(q), entriesPerFile, fds);
        t.queues.set(key(topic, Number(q)), cq);
      }
    }
    let listed: ReturnType<typeof parseManifest>;
    try {
      listed = parseManifest(readJsonFile<unknown>(t.manifest));
    } catch {
      listed = undefined; // unreadable: treated as missing, so queues are rebuilt from the log
    }
    t.lostQueues = listed === undefined || listed.keys.some((k) => !t.queues.get(k)?.hasFiles);
    t.manifestDirty = true; // rewritten by the first flush, with the ranges recovery leaves
    if (listed) {
      t.recorded = listed.ranges;
      t.recordedDispatched = listed.dispatched;
      for (const [k, f] of listed.floors ?? []) t.floors.set(k, f);
    }
    return t;
  }

  /** What the manifest recorded for a queue at open, if anything. */
  recordedRange(cq: ConsumeQueue): QueueRange | undefined {
    return this.recorded.get(key(cq.topic, cq.queueId));
  }

  get(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.queues.get(key(topic, queueId));
  }

  getOrCreate(topic: string, queueId: number): ConsumeQueue {
    const k = key(topic, queueId);
    let cq = this.queues.get(k);
    if (!cq) {
      cq = ConsumeQueue.open(this.root, topic, queueId, this.entriesPerFile, this.fds);
      this.queues.set(k, cq);
      this.manifestDirty = true;
    }
    return cq;
  }

  /** The first queue offset of a queue not created yet: 0, or where a deleted one ended. */
  nextOffsetOfNew(topic: string, queueId: number): number {
    return this.floors.get(key(topic, queueId)) ?? 0;
  }

  /**
   * Deletes a queue and its files for good (its topic was deleted), keeping
   * its end: a queue created again under the same key starts there.
   */
  retire(cq: ConsumeQueue): void {
    const k = key(cq.topic, cq.queueId);
    if (this.queues.get(k) !== cq) return;
    this.floors.set(k, Math.max(cq.max, this.floors.get(k) ?? 0));
    this.drop(cq);
  }

  /** Deletes a queue and its files (one created by an append that was rolled back). */
  drop(cq: ConsumeQueue): void {
    const k = key(cq.topic, cq.queueId);
    if (this.queues.get(k) !== cq) return;
    this.queues.delete(k);
    this.manifestDirty = true;
    cq.close();
    fs.rmSync(path.join(this.root, cq.topic, String(cq.queueId)), { recursive: true, force: true });
  }

  all(): IterableIterator<ConsumeQueue> {
    return this.queues.values();
  }

  get size(): number {
    return this.queues.size;
  }

  /**
   * Rewrites the manifest if a queue was added or dropped, or a queue's
   * min or max moved, since the last write. `dispatched`: the commit-log
   * offset whose entries the caller has just fsynced. One pass over the
   * queues per call; nothing is allocated unless something changed.
   */
  async persistManifest(dispatched: number): Promise<void> {
    if (!this.manifestDirty && !this.rangesMoved()) return;
    const { body, written } = this.snapshot(dispatched);
    this.manifestDirty = false;
    try {
      await writeFileAtomicAsync(this.manifest, body);
      this.written = written;
    } catch (err) {
      this.manifestDirty = true; // written at the next flush
      throw err;
    }
  }

  /**
   * Writes the manifest now, each queue's max cut to `cut(cq)` (a
   * truncation about to happen: the manifest never claims entries the
   * files are losing). The next flush writes it again.
   */
  persistManifestSync(dispatched: number, cut: (cq: ConsumeQueue) => number): void {
    const { body } = this.snapshot(dispatched, cut);
    this.manifestDirty = true;
    writeFileAtomic(this.manifest, body);
  }

  private snapshot(dispatched: number, cut?: (cq: ConsumeQueue) => number): { body: string; written: Map<string, [number, number]> } {
    const queues: Record<string, [number, number]> = {};
    const written = new Map<string, [number, number]>();
    for (const [k, cq] of this.queues) {
      // only entries in the files (an in-memory tail dies with the process); a queue gets its first file here
      const end = cq.hasFiles ? cq.writtenMax : cq.writeTail();
      const max = cut ? Math.min(end, cut(cq)) : end;
      written.set(k, (queues[k] = [Math.min(cq.min, max), max]));
    }
    const body: ManifestV2 = { v: 2, dispatched, queues };
    // a floor is moot once its queue exists again past it
    for (const [k, f] of this.floors) if ((this.queues.get(k)?.max ?? 0) >= f) this.floors.delete(k);
    if (this.floors.size > 0) body.floors = Object.fromEntries(this.floors);
    return { body: JSON.stringify(body), written };
  }

  private rangesMoved(): boolean {
    if (this.written.size !== this.queues.size) return true;
    for (const [k, cq] of this.queues) {
      const w = this.written.get(k);
      if (!w || w[0] !== cq.min || w[1] !== cq.max) return true;
    }
    return false;
  }

  close(): void {
    for (const cq of this.queues.values()) cq.close();
  }
}
