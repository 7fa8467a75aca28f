// Message key -> commit-log offsets, for queryByKey (RocketMQ's IndexFile).
//
// Choice: an in-memory map, bounded to `maxKeys` keys (least recently added
// evicted first) and `perKey` offsets per key (newest kept). It is saved to
// <dir>/index/keys (key-index-file.ts) periodically and on clean close,
// with the log offset it covers; on open, after a crash too, it is loaded
// and caught up by replaying the log from there; without a usable file it
// is rebuilt by scanning the whole commit log. Offsets are hints: queryByKey re-reads each record and checks
// topic and key, so stale offsets (after retention) are harmless; truncateTo
// removes the truncated records' keys, since their offsets are reused.
import { readKeyFile, writeKeyFileAsync, writeKeyFileSync } from "./key-index-file.js";

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
  /** Why the last load() found no usable file. */
  loadProblem: { problem: "missing" | "damaged"; reason: string } | undefined;

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

  /** Writes the map and the log offset it covers, at once (a clean close). */
  save(dir: string, coveredTo: number): void {
    writeKeyFileSync(dir, coveredTo, this.map.entries(), this.map.size);
  }

  /**
   * save() without blocking the event loop (the periodic save): keys added
   * meanwhile are at or after `coveredTo`, which recovery replays anyway.
   * False when `valid()` failed at the end and the old file was kept.
   */
  saveAsync(dir: string, coveredTo: number, valid: () => boolean): Promise<boolean> {
    return writeKeyFileAsync(dir, coveredTo, this.map.entries(), this.map.size, valid);
  }

  /**
   * Loads a saved map; returns the log offset it covers, or -1 if there is
   * no usable file (`loadProblem` then says why: "missing" or "damaged").
   */
  load(dir: string): number {
    const read = readKeyFile(dir);
    this.map.clear();
    this.oldest = this.map.keys();
    if ("problem" in read) {
      this.loadProblem = read;
      return -1;
    }
    this.loadProblem = undefined;
    for (const [k, v] of read.entries) this.map.set(k, v);
    return read.covers;
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
