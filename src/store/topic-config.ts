// The broker's topic table (RocketMQ's TopicConfigManager): topic ->
// queue counts and permission. Persisted to <dir>/config/topics.json
// (temp + rename) on every change: changes are rare and must survive.
import * as path from "node:path";
import type { Perm, TopicConfig } from "../protocol/types.js";
import { readJsonFile, writeFileAtomic } from "./atomic-file.js";

export type { Perm, TopicConfig };

export class TopicTable {
  private topics = new Map<string, TopicConfig>();

  private constructor(private readonly file: string) {}

  static open(dir: string): TopicTable {
    const table = new TopicTable(path.join(dir, "config", "topics.json"));
    const saved = readJsonFile<TopicConfig[]>(table.file) ?? [];
    for (const t of saved) table.topics.set(t.topic, t);
    return table;
  }

  get(topic: string): TopicConfig | undefined {
    return this.topics.get(topic);
  }

  all(): TopicConfig[] {
    return [...this.topics.values()];
  }

  /** Throws (and changes nothing) if the table cannot be written. */
  put(config: TopicConfig): void {
    this.replace(new Map(this.topics).set(config.topic, { ...config }));
  }

  remove(topic: string): boolean {
    if (!this.topics.has(topic)) return false;
    const next = new Map(this.topics);
    next.delete(topic);
    this.replace(next);
    return true;
  }

  snapshot(): TopicConfig[] {
    return this.all().map((t) => ({ ...t }));
  }

  /** Replaces the table (a slave applying its master's snapshot). */
  load(configs: readonly TopicConfig[]): void {
    this.replace(new Map(configs.map((t) => [t.topic, { ...t }])));
  }

  /** Written first, then kept: a table that could not be saved (full disk) is not half applied. */
  private replace(next: Map<string, TopicConfig>): void {
    writeFileAtomic(this.file, JSON.stringify([...next.values()]));
    this.topics = next;
  }
}
