// Reading a replica back: every visible message of the queues a scenario
// wrote, and a digest of its whole commit log (for byte-for-byte checks).
import { createHash } from "node:crypto";
import { GetStatus, type MessageStore } from "../../src/store/index.js";

/** "topic/queueId". */
export type QueueKey = string;

export interface ReadMessage {
  queueOffset: number;
  commitLogOffset: number;
  term: number;
  body: string;
}

export function readQueues(store: MessageStore, queues: Iterable<QueueKey>): Map<QueueKey, ReadMessage[]> {
  const out = new Map<QueueKey, ReadMessage[]>();
  for (const key of [...queues].sort()) {
    const cut = key.lastIndexOf("/");
    const topic = key.slice(0, cut);
    const queueId = Number(key.slice(cut + 1));
    const got: ReadMessage[] = [];
    let offset = store.queueRange(topic, queueId).min;
    for (;;) {
      const r = store.get(topic, queueId, offset, 64);
      if (r.status !== GetStatus.FOUND) break;
      for (const m of r.messages) got.push({ queueOffset: m.queueOffset, commitLogOffset: m.commitLogOffset, term: m.term, body: m.body.toString() });
      offset = r.nextOffset;
    }
    out.set(key, got);
  }
  return out;
}

/** sha256 of the commit log's bytes from its first to its last offset, with the range. */
export function logDigest(store: MessageStore): string {
  const hash = createHash("sha256");
  let offset = store.minPhysicalOffset;
  const end = store.maxPhysicalOffset;
  while (offset < end) {
    const chunk = store.readRaw(offset, 1 << 20);
    if (chunk.length === 0) break;
    hash.update(chunk);
    offset += chunk.length;
  }
  return `${store.minPhysicalOffset}..${offset} ${hash.digest("hex").slice(0, 16)}`;
}
