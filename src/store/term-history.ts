// Where each term begins in the commit log (Kafka's leader-epoch cache):
// one entry per term, [{term, start}] with both rising, `start` the log's
// end when the term's first record was appended: that record's offset, or
// less when it rolled into a new segment (the old segment's unused tail is
// no part of any term, so the term before ends where its records end). Kept in <dir>/config/terms.json, written
// (atomically, fsynced) BEFORE the first record of a new term is appended
// and after a truncation, so the file never lacks a term the log holds; an
// entry whose record never made it is dropped at open, where each entry is
// checked against the record header at its start (one read per term) and
// against the term changes recovery saw in the tail it scanned. A folder
// without the file, or with one that disagrees, gets the history rebuilt
// from a header-only scan of the log.
import * as path from "node:path";
import { readJsonFile, writeFileAtomic } from "./atomic-file.js";
import type { CommitLog } from "./commit-log.js";
import { scanLog } from "./log-scan.js";
import { HEADER_BYTES, RECORD_MAGIC, recordPhysicalOffset, recordSize, recordTerm } from "./record.js";

export interface TermStart {
  term: number;
  start: number;
}

const FILE = ["config", "terms.json"] as const;

export class TermHistory {
  private constructor(private readonly file: string, private entries: TermStart[]) {}

  /** Term of the last record (0 for an empty log). */
  get lastTerm(): number {
    return this.entries.at(-1)?.term ?? 0;
  }

  /** True when no record of any term is in the log. */
  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Whether a record of `term` appended now would begin a term. */
  isNew(term: number): boolean {
    const last = this.entries.at(-1);
    return !last || term > last.term;
  }

  terms(): TermStart[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /** Where the term begins (see above), undefined if this log holds no record of it. */
  termStart(term: number): number | undefined {
    return this.entries.find((e) => e.term === term)?.start;
  }

  /** Start of the first term greater than `term`, or `end` (the log's end) if none: OffsetsForLeaderEpoch. */
  endOffsetForTerm(term: number, end: number): number {
    return this.entries.find((e) => e.term > term)?.start ?? end;
  }

  /**
   * Follower side of a divergence (Kafka's OffsetsForLeaderEpoch, in byte
   * offsets): the master's newest term at or before our last one is
   * `masterTerm`, and its records of it end at `masterEnd`. Where this log
   * must be cut: a record boundary here, never below where the logs part.
   * If we hold `masterTerm`, our records of it and the master's are both a
   * prefix of what its master wrote: cut where the shorter ends. If not,
   * our terms after `masterTerm` are all unknown to the master: cut them
   * off (where our first term after it starts); the next fetch, with the
   * term before them, goes on from there. (Cutting at `masterEnd` there
   * could land inside a record of an older term.)
   */
  truncationPoint(masterTerm: number, masterEnd: number, end: number): number {
    const mine = this.endOffsetForTerm(masterTerm, end);
    return this.termStart(masterTerm) !== undefined ? Math.min(masterEnd, mine) : mine;
  }

  /** Records are about to be written; `terms` says where each of their terms starts. Persists any new one first. */
  willAppend(terms: readonly TermStart[]): void {
    let added = false;
    for (const t of terms) {
      const last = this.entries.at(-1);
      if (last && t.term <= last.term) continue;
      this.entries.push({ term: t.term, start: t.start });
      added = true;
    }
    if (added) this.persist();
  }

  /** Forgets terms starting at or after `offset` (an append that was rolled back; the file may keep them). */
  dropFrom(offset: number): void {
    this.entries = this.entries.filter((e) => e.start < offset);
  }

  /** A truncation at `offset`: the file loses the terms from there first, then this history does. */
  cutAt(offset: number): void {
    const keep = this.entries.filter((e) => e.start < offset);
    if (keep.length === this.entries.length) return;
    write(this.file, keep);
    this.entries = keep;
  }

  /** After retention: terms wholly below the log's start are gone. */
  dropBefore(minOffset: number): void {
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1]!.start <= minOffset) i++;
    if (i > 0) this.entries = this.entries.slice(i);
  }

  persist(): void {
    write(this.file, this.entries);
  }

  /**
   * The history at open. `tail`: the term changes recovery's scan saw from
   * `checkedFrom` to the end (its first record counts as one).
   */
  static open(dir: string, log: CommitLog, tail: readonly TermStart[], checkedFrom: number): { history: TermHistory; rebuilt: boolean } {
    const file = path.join(dir, ...FILE);
    const saved = readSaved(file);
    const known = saved && reconcile(saved, log, tail, checkedFrom);
    if (known) {
      const history = new TermHistory(file, known);
      if (JSON.stringify(known) !== JSON.stringify(saved)) history.persist();
      return { history, rebuilt: false };
    }
    const scanned = !saved && checkedFrom <= log.minOffset ? [...tail] : scanTerms(log);
    const history = new TermHistory(file, scanned);
    if (saved || scanned.length > 0) history.persist();
    return { history, rebuilt: saved !== undefined };
  }
}

function write(file: string, entries: readonly TermStart[]): void {
  writeFileAtomic(file, JSON.stringify({ v: 1, terms: entries.map((e) => [e.term, e.start]) }));
}

function readSaved(file: string): TermStart[] | undefined {
  try {
    const raw = readJsonFile<{ terms?: unknown }>(file);
    if (!raw || !Array.isArray(raw.terms)) return undefined;
    const out: TermStart[] = [];
    for (const e of raw.terms) {
      if (!Array.isArray(e) || !Number.isSafeInteger(e[0]) || !Number.isSafeInteger(e[1])) return undefined;
      const prev = out.at(-1);
      if (prev && (e[0] <= prev.term || e[1] <= prev.start)) return undefined;
      out.push({ term: e[0], start: e[1] });
    }
    return out;
  } catch {
    return undefined; // unreadable: rebuilt from the log
  }
}

/** The saved entries that the log bears out, or undefined when they disagree with it. */
function reconcile(saved: TermStart[], log: CommitLog, tail: readonly TermStart[], checkedFrom: number): TermStart[] | undefined {
  if (log.maxOffset <= log.minOffset) return [];
  const entries = saved.filter((e) => e.start < log.maxOffset);
  for (const e of entries) {
    if (e.start < log.minOffset) continue; // deleted by retention
    if (termOfRecordAt(log, firstRecordFrom(log, e.start)) !== e.term) return undefined;
  }
  const changes = new Set(tail.map((c) => c.start));
  if (entries.some((e) => e.start > checkedFrom && !changes.has(e.start))) return undefined;
  for (const c of tail) {
    const at = termAt(entries, c.start);
    if (at === c.term) continue;
    const last = entries.at(-1);
    if (last && (c.term <= last.term || c.start <= last.start)) return undefined;
    entries.push({ ...c }); // a term the file never got (written by an older version)
  }
  return entries.length > 0 ? entries : undefined;
}

/** The term in the header at `offset` if a record starts there, else undefined. */
function termOfRecordAt(log: CommitLog, offset: number): number | undefined {
  const head = log.read(offset, HEADER_BYTES);
  if (head.length < HEADER_BYTES || head.readUInt32BE(4) !== RECORD_MAGIC || recordPhysicalOffset(head, 0) !== offset) return undefined;
  return recordTerm(head, 0);
}

/** Where the first record at or after a log end `offset` sits: the next segment's base when `offset` ends a segment's data. */
export function firstRecordFrom(log: CommitLog, offset: number): number {
  const seg = log.segments.find((s) => offset >= s.base && offset < s.base + log.segmentBytes);
  return seg && offset === seg.base + seg.size && seg !== log.segments.at(-1) ? seg.base + log.segmentBytes : offset;
}

function termAt(entries: readonly TermStart[], offset: number): number | undefined {
  let t: number | undefined;
  for (const e of entries) if (e.start <= offset) t = e.term;
  return t;
}

/** Every term change in the log, from its record headers (no CRC check; damage is stepped over). */
export function scanTerms(log: CommitLog): TermStart[] {
  const out: TermStart[] = [];
  scanLog(log, log.minOffset, { verifyCrc: false, tailMayBeTorn: false, record: termCollector(out, log.segmentBytes) });
  return out;
}

/**
 * A scan's record callback that appends to `out` each record whose term is
 * above the one before, at the log end it was appended to (the record
 * before it's end, when it opens a segment the record before did not fill).
 */
export function termCollector(out: TermStart[], segmentBytes: number): (buf: Buffer, at: number, offset: number) => void {
  let prevEnd = -1;
  return (buf, at, offset) => {
    const term = recordTerm(buf, at);
    const last = out.at(-1);
    if (!last || term > last.term) {
      const rolled = offset % segmentBytes === 0 && prevEnd >= 0 && prevEnd > offset - segmentBytes && prevEnd < offset;
      out.push({ term, start: rolled ? prevEnd : offset });
    }
    prevEnd = offset + recordSize(buf, at);
  };
}
