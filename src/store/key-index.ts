// Message key -> commit-log offsets, for queryByKey (RocketMQ's IndexFile).
//
// Choice: an in-memory map, bounded to `maxKeys` keys (least recently added
// evicted first) and `perKey` offsets per key (newest kept). It is saved to
// <dir>/index/keys on clean close together with the log offset it covers,
// and on open it is loaded and caught up by replaying the log from there;
// after a crash, or without the file, it is rebuilt by scanning the whole
// commit log. Offsets are hints: queryByKey re-reads each record and checks
// topic and key, so stale offsets (after retention) are harmless; truncateTo
// removes the truncated records' keys, since their offsets are reused.
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import { readU64, writeU64 } from "./record.js";

const MAGIC = 0x524b4931; // "RKI1"
const SEP = "\u0001";

export class KeyIndex {
  /** A single offset is kept as a number: most keys are unique, and one array per key doubles GC work. */
  private readonly map = new Map<string, number | number[]>();
  /**
   * Oldest-first cursor for eviction, kept across calls: V8 leaves deleted
   * entries in place until the table is rehashed, so a fresh
   * `map.keys().next()` per eviction walks every key evicted before it
   * (quadratic: 3 M keyed records over a 1 M bound took minutes to replay).
   */
  private oldest: Iterator<string> = this.map.keys();

  constructor(readonly maxKeys = 1_000_000, readonly perKey = 64) {}

  get size(): number {
    return this.map.size;
  }

  /** Indexes each space-separated key of a record at `offset`. */
  add(topic: string, keys: string, offset: number): void {
    if (keys.length === 0) return;
    for (const key of keys.split(" ")) {
      if (key.length > 0) this.addOne(`${topic}${SEP}${key}`, offset);
    }
  }

  /** Forgets a record's keys (it was truncated away: its offset may name another record later). */
  remove(topic: string, keys: string, offset: number): void {
    if (keys.length === 0) return;
    for (const key of keys.split(" ")) {
      const k = `${topic}${SEP}${key}`;
      const v = this.map.get(k);
      if (v === undefined) continue;
      const rest = (typeof v === "number" ? [v] : v).filter((o) => o !== offset);
      if (rest.length === 0) this.map.delete(k);
      else this.map.set(k, rest.length === 1 ? rest[0]! : rest);
    }
  }

  /** Offsets for (topic, key), oldest first. */
  get(topic: string, key: string): readonly number[] {
    const v = this.map.get(`${topic}${SEP}${key}`);
    return v === undefined ? [] : typeof v === "number" ? [v] : v;
  }

  /** Writes the map and the log offset it covers. */
  save(dir: string, coveredTo: number): void {
    const parts: Buffer[] = [];
    const head = Buffer.alloc(16);
    head.writeUInt32BE(MAGIC, 0);
    writeU64(head, 4, coveredTo);
    head.writeUInt32BE(this.map.size, 12);
    parts.push(head);
    for (const [k, v] of this.map) {
      const offsets = typeof v === "number" ? [v] : v;
      const kb = Buffer.from(k, "utf8");
      const b = Buffer.allocUnsafe(4 + kb.length + 2 + offsets.length * 8);
      b.writeUInt32BE(kb.length, 0);
      kb.copy(b, 4);
      b.writeUInt16BE(offsets.length, 4 + kb.length);
      offsets.forEach((o, i) => writeU64(b, 6 + kb.length + i * 8, o));
      parts.push(b);
    }
    writeFileAtomic(path.join(dir, "index", "keys"), Buffer.concat(parts));
  }

  /** Loads a saved map; returns the log offset it covers, or -1 if there is no usable file. */
  load(dir: string): number {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(path.join(dir, "index", "keys"));
    } catch {
      return -1;
    }
    if (buf.length < 16 || buf.readUInt32BE(0) !== MAGIC) return -1;
    const covered = readU64(buf, 4);
    const count = buf.readUInt32BE(12);
    let o = 16;
    this.map.clear();
    this.oldest = this.map.keys();
    try {
      for (let i = 0; i < count; i++) {
        const kl = buf.readUInt32BE(o);
        const key = buf.toString("utf8", o + 4, o + 4 + kl);
        o += 4 + kl;
        const n = buf.readUInt16BE(o);
        o += 2;
        const offsets: number[] = [];
        for (let j = 0; j < n; j++, o += 8) offsets.push(readU64(buf, o));
        this.map.set(key, offsets.length === 1 ? offsets[0]! : offsets);
      }
    } catch {
      this.map.clear(); // a short file: rebuild instead
      return -1;
    }
    return covered;
  }

  private evictOldest(): void {
    let next = this.oldest.next();
    if (next.done) {
      this.oldest = this.map.keys(); // an exhausted iterator stays done, whatever is added later
      next = this.oldest.next();
    }
    if (!next.done) this.map.delete(next.value);
  }

  private addOne(k: string, offset: number): void {
    const v = this.map.get(k);
    if (v === undefined) {
      if (this.map.size >= this.maxKeys) this.evictOldest();
      this.map.set(k, offset);
      return;
    }
    const list = typeof v === "number" ? [v] : v;
    // replaying over already-indexed records (or after truncateTo) must not duplicate
    while (list.length > 0 && list[list.length - 1]! >= offset) list.pop();
    list.push(offset);
    if (list.length > this.perKey) list.shift();
    this.map.set(k, list.length === 1 ? offset : list);
  }
}
