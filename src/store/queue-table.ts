// Every consume queue of the store, by (topic, queueId), plus a manifest
// (<dir>/config/queues.json) of the queues that exist. The manifest is how
// recovery notices a queue whose files were deleted: a listed queue with no
// files, or no manifest at all, means rebuilding consume queues from the
// start of the commit log.
import * as fs from "node:fs";
import * as path from "node:path";
import { ConsumeQueue, CQ_ENTRIES_PER_FILE } from "./consume-queue.js";
import { FdCache } from "./fd-cache.js";
import { readJsonFile, writeFileAtomicAsync } from "./atomic-file.js";

const key = (topic: string, queueId: number): string => `${topic}/${queueId}`;

export class QueueTable {
  private readonly queues = new Map<string, ConsumeQueue>();
  private manifestDirty = false;
  /** True when a queue the manifest lists has lost its files, or there is no manifest. */
  lostQueues = false;

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
    const listed = readJsonFile<string[]>(t.manifest);
    t.lostQueues = listed === undefined || listed.some((k) => !t.queues.get(k)?.hasFiles);
    t.manifestDirty = listed === undefined || listed.length !== t.queues.size;
    return t;
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

  /** Deletes a queue and its files (one created by an append that was rolled back). */
  drop(cq: ConsumeQueue): void {
    const k = key(cq.topic, cq.queueId);
    if (this.queues.get(k) !== cq) return;
    this.queues.delete(k);
    cq.close();
    fs.rmSync(path.join(this.root, cq.topic, String(cq.queueId)), { recursive: true, force: true });
  }

  all(): IterableIterator<ConsumeQueue> {
    return this.queues.values();
  }

  get size(): number {
    return this.queues.size;
  }

  /** Rewrites the manifest if a queue was added since the last write. */
  async persistManifest(): Promise<void> {
    if (!this.manifestDirty) return;
    this.manifestDirty = false;
    try {
      await writeFileAtomicAsync(this.manifest, JSON.stringify([...this.queues.keys()]));
    } catch (err) {
      this.manifestDirty = true; // written at the next flush
      throw err;
    }
  }

  close(): void {
    for (const cq of this.queues.values()) cq.close();
  }
}
