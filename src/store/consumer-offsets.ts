// Committed consumer offsets per (group, topic, queueId): RocketMQ's
// ConsumerOffsetManager. Kept in memory, persisted to
// <dir>/config/consumerOffsets.json (temp + rename) when dirty, by the
// store's periodic flush and on close. snapshot()/load() let replication
// ship the table to slaves.
import * as path from "node:path";
import { nameTable } from "../protocol/validate.js";
import { readJsonFile, writeFileAtomic, writeFileAtomicAsync } from "./atomic-file.js";

/** group -> topic -> queueId -> next offset to consume. */
export type OffsetTable = Record<string, Record<string, Record<string, number>>>;

/**
 * Group and topic names are chosen by clients: every level of the table is
 * an object without a prototype, so that a group named `__proto__` or
 * `constructor` is a key like any other, never Object.prototype.
 */
const bare = nameTable;

/** A table read from a file or the wire, rebuilt without prototypes (and without entries that are not offsets). */
function rebuild(raw: unknown): OffsetTable {
  const table = bare<Record<string, Record<string, number>>>();
  if (typeof raw !== "object" || raw === null) return table;
  for (const [group, byTopic] of Object.entries(raw)) {
    if (typeof byTopic !== "object" || byTopic === null) continue;
    const topics = (table[group] = bare<Record<string, number>>());
    for (const [topic, byQueue] of Object.entries(byTopic as object)) {
      if (typeof byQueue !== "object" || byQueue === null) continue;
      const queues = (topics[topic] = bare<number>());
      for (const [q, offset] of Object.entries(byQueue as object)) if (Number.isSafeInteger(offset)) queues[q] = offset as number;
    }
  }
  return table;
}

export class ConsumerOffsets {
  private table: OffsetTable = bare();
  private dirty = false;

  constructor(private readonly file: string) {}

  static open(dir: string): ConsumerOffsets {
    const offsets = new ConsumerOffsets(path.join(dir, "config", "consumerOffsets.json"));
    offsets.table = rebuild(readJsonFile<unknown>(offsets.file));
    return offsets;
  }

  commit(group: string, topic: string, queueId: number, offset: number): void {
    const byTopic = (this.table[group] ??= bare());
    const byQueue = (byTopic[topic] ??= bare());
    if (byQueue[queueId] === offset) return;
    byQueue[queueId] = offset;
    this.dirty = true;
  }

  /** The committed offset, or undefined if the group never committed one for this queue. */
  get(group: string, topic: string, queueId: number): number | undefined {
    return this.table[group]?.[topic]?.[queueId];
  }

  /** Every queue's offset for (group, topic). */
  forTopic(group: string, topic: string): ReadonlyMap<number, number> {
    const byQueue = this.table[group]?.[topic] ?? bare<number>();
    return new Map(Object.entries(byQueue).map(([q, o]) => [Number(q), o]));
  }

  /**
   * Moves every group's offset on (topic, queueId) that is past `max` back to
   * `max` (the queue lost its tail). Returns what changed.
   */
  clampTo(topic: string, queueId: number, max: number): Array<{ group: string; from: number; to: number }> {
    const changed: Array<{ group: string; from: number; to: number }> = [];
    for (const [group, byTopic] of Object.entries(this.table)) {
      const byQueue = byTopic[topic];
      const from = byQueue?.[queueId];
      if (byQueue === undefined || from === undefined || from <= max) continue;
      byQueue[queueId] = max;
      changed.push({ group, from, to: max });
      this.dirty = true;
    }
    return changed;
  }

  /** Every (topic, queueId) some group has an offset for. */
  queues(): Array<{ topic: string; queueId: number }> {
    const seen = new Set<string>();
    const out: Array<{ topic: string; queueId: number }> = [];
    for (const byTopic of Object.values(this.table)) {
      for (const [topic, byQueue] of Object.entries(byTopic)) {
        for (const q of Object.keys(byQueue)) {
          const k = `${topic}\u0000${q}`;
          if (seen.has(k)) continue;
          seen.add(k);
          out.push({ topic, queueId: Number(q) });
        }
      }
    }
    return out;
  }

  /** The topics a group has offsets for. */
  topicsOf(group: string): string[] {
    return Object.keys(this.table[group] ?? {});
  }

  groups(): string[] {
    return Object.keys(this.table);
  }

  hasGroup(group: string): boolean {
    return this.table[group] !== undefined;
  }

  removeGroup(group: string): void {
    if (!(group in this.table)) return;
    delete this.table[group];
    this.dirty = true;
  }

  /** Drops every group's offsets on the topic (the topic was deleted); how many groups had some. */
  removeTopic(topic: string): number {
    let groups = 0;
    for (const byTopic of Object.values(this.table)) {
      if (byTopic[topic] === undefined) continue;
      delete byTopic[topic];
      groups++;
    }
    if (groups > 0) this.dirty = true;
    return groups;
  }

  /** A deep copy, safe to serialize and ship. */
  snapshot(): OffsetTable {
    return structuredClone(this.table);
  }

  /** Replaces the table (a slave applying its master's snapshot). */
  load(table: OffsetTable): void {
    this.table = rebuild(table);
    this.dirty = true;
  }

  /** Writes the file if anything changed since the last write. */
  persist(): void {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      writeFileAtomic(this.file, JSON.stringify(this.table));
    } catch (err) {
      this.dirty = true; // kept for the next attempt
      throw err;
    }
  }

  /** persist() off the event loop, for the periodic save. */
  async persistAsync(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await writeFileAtomicAsync(this.file, JSON.stringify(this.table));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }
}
