// Message key -> commit-log offsets, for queryByKey (RocketMQ's IndexService
// over IndexFiles): files in <dir>/index/, oldest first, each a hash table
// of slots chaining its entries (index-file.ts). Memory stays flat as keys
// grow: the active file's slots and a bounded write buffer; older files
// are read from disk. A lookup walks the slot's chain in the newest file,
// then in older ones: O(1) per key and file.
//
// Each file's header says below which log offset the index is complete;
// open trusts that (after checking it against the file's content) and
// recovery replays keys only beyond it. A file whose content does not bear
// out its header is damaged: it and every newer file are removed, and
// recovery replays from where the older files end. Offsets are hints:
// queryByKey re-reads each record and checks topic and key, so hash
// collisions and offsets of removed records are harmless.
import * as fs from "node:fs";
import * as path from "node:path";
import { keyHash, topicHash } from "./index-file-layout.js";
import { IndexFile } from "./index-file.js";
import type { Logger } from "../runtime/log.js";

/** The most offsets a lookup returns (RocketMQ's maxMsgsNumBatch). */
export const MAX_PER_QUERY = 64;
const FNV_PRIME = 16777619;
const SPACE = 32;

export interface KeyIndexOptions {
  /** Hash slots per file (default 262,144: 1 MiB of slots in memory for the active file). */
  slots?: number;
  /** Entries per file before it rolls (default 1,048,576: 20 MiB of entries). */
  entriesPerFile?: number;
  now?: () => number;
  log?: Logger;
}

export function indexDir(dir: string): string {
  return path.join(dir, "index");
}

const fileName = (first: number) => `${String(first).padStart(20, "0")}.idx`;

export class KeyIndex {
  private files: IndexFile[] = [];
  private readonly slots: number;
  private readonly perFile: number;
  private readonly now: () => number;
  private readonly damaged = new Set<IndexFile>();
  /** Why the last load() found no usable file. */
  loadProblem: { problem: "missing" | "damaged"; reason: string } | undefined;
  /** Files load() opened from their older header copy (a flush cut short): they cover less, recovery replays the rest. */
  tornFiles: string[] = [];
  /** A coarse clock for entries' time field, read at each flush rather than per put. */
  private clock: number;

  constructor(readonly dir: string, private readonly opts: KeyIndexOptions = {}) {
    this.slots = opts.slots ?? 1 << 18;
    this.perFile = opts.entriesPerFile ?? 1 << 20;
    this.now = opts.now ?? Date.now;
    this.clock = this.now();
  }

  /** Entries in every file. */
  get size(): number {
    let n = 0;
    for (const f of this.files) n += f.count;
    return n;
  }

  get fileCount(): number {
    return this.files.length;
  }

  /** Opens the files; returns the log offset below which the index is complete, -1 when there is none usable. */
  load(): number {
    const d = indexDir(this.dir);
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    this.loadProblem = undefined;
    // the whole-map file of earlier versions: replaced by these files, not damage
    const old = fs.existsSync(path.join(d, "keys"));
    if (old) fs.rmSync(path.join(d, "keys"), { force: true });
    const names = fs.readdirSync(d).filter((n) => /^\d{20}\.idx$/.test(n)).sort();
    for (const [i, name] of names.entries()) {
      const f = IndexFile.open(path.join(d, name));
      const prev = this.files.at(-1);
      // a file opened from an older header covers less than the next one assumes: the later ones go
      const problem = typeof f === "string" ? f : prev && prev.covers < f.first ? `${names[i - 1]} ends before it begins` : undefined;
      if (problem !== undefined || typeof f === "string") {
        if (typeof f !== "string") f.abandon();
        this.loadProblem = { problem: "damaged", reason: `${name}: ${problem ?? "unreadable"}` };
        for (const later of names.slice(i)) fs.rmSync(path.join(d, later), { force: true });
        break;
      }
      if (f.tornHeader) this.tornFiles.push(name);
      if (prev && !prev.sealed) prev.seal(f.first); // only the newest file takes entries
      this.files.push(f);
    }
    if (this.files.length === 0) {
      this.loadProblem ??= { problem: "missing", reason: old ? "older format" : "no file" };
      return -1;
    }
    return this.files.at(-1)!.covers;
  }

  /** Indexes each space-separated key of a record at `offset`; no allocation per key. */
  add(topic: string, keys: string, offset: number): void {
    if (keys.length === 0) return;
    const f = this.roomFor(keys.length, offset);
    const time = Math.min(0xffffffff, Math.max(0, this.clock - f.beginTime));
    const base = topicHash(topic);
    let h = base;
    let len = 0;
    for (let i = 0; i <= keys.length; i++) {
      const c = i < keys.length ? keys.charCodeAt(i) : SPACE;
      if (c !== SPACE) {
        h = Math.imul(h ^ c, FNV_PRIME);
        len++;
      } else if (len > 0) {
        f.append(h >>> 0, offset, time);
        h = base;
        len = 0;
      }
    }
  }

  /** Calls `visit` with each candidate offset for (topic, key), newest first, until it returns false. */
  walk(topic: string, key: string, visit: (offset: number) => boolean): void {
    const h = keyHash(topic, key);
    for (let i = this.files.length - 1; i >= 0; i--) {
      const f = this.files[i]!;
      if (this.damaged.has(f)) continue;
      const r = f.walk(h, visit);
      if (r === "stopped") return;
      if (r === "damaged") {
        this.damaged.add(f);
        this.opts.log?.error("key index file damaged: lookups skip it", { file: f.path });
      }
    }
  }

  /** Up to `max` (at most MAX_PER_QUERY) candidate offsets for (topic, key), oldest first. */
  get(topic: string, key: string, max = MAX_PER_QUERY): number[] {
    const out: number[] = [];
    max = Math.min(max, MAX_PER_QUERY);
    this.walk(topic, key, (o) => {
      if (out.at(-1) !== o) out.push(o);
      return out.length < max;
    });
    return out.reverse();
  }

  /** Writes buffered entries and records that every keyed record below `end` (the log's end) is indexed. */
  flush(end: number): void {
    this.clock = this.now();
    this.active(end).flush(end);
  }

  /**
   * Drops entries at or after `offset` (a cut log: those offsets will name
   * other records). The index must hold every keyed record below it.
   */
  cutFrom(offset: number): void {
    while (this.files.length > 0 && this.files.at(-1)!.first >= offset) this.files.pop()!.remove();
    const last = this.files.at(-1);
    if (last && last.covers > offset) {
      if (!last.sealed || last.unseal()) return last.cutFrom(offset);
      this.opts.log?.error("key index file damaged: its keys are not found any more", { file: last.path });
      this.files.pop()!.remove();
    }
    this.active(offset).cutFrom(offset);
  }

  /** Removes sealed files whose records all lie below `minOffset` (retention removed them). */
  dropBefore(minOffset: number): number {
    let n = 0;
    while (this.files.length > 1 && this.files[0]!.sealed && this.files[0]!.covers <= minOffset) {
      this.files.shift()!.remove();
      n++;
    }
    return n;
  }

  /** Writes what is buffered and lets the files go (a clean close). */
  close(end: number): void {
    this.flush(end);
    for (const f of this.files) f.close();
  }

  /** Lets the files go without writing (kill -9). */
  abandon(): void {
    for (const f of this.files) f.abandon();
  }

  /** The active file, with room for `need` more entries: the full one is sealed first. */
  private roomFor(need: number, offset: number): IndexFile {
    const f = this.active(offset);
    if (f.count + need <= f.capacity || f.count === 0) return f;
    // a record's keys stay in one file: every record below this one is in the files so far
    f.seal(offset);
    return this.active(offset);
  }

  private active(from: number): IndexFile {
    const last = this.files.at(-1);
    if (last && !last.sealed) return last;
    const first = last ? last.covers : from;
    const f = IndexFile.create(path.join(indexDir(this.dir), fileName(first)), first, this.slots, Math.max(this.perFile, 1), this.clock);
    this.files.push(f);
    return f;
  }
}
