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

  put(config: TopicConfig): void {
    this.topics.set(config.topic, { ...config });
    this.persist();
  }

  remove(topic: string): boolean {
    const had = this.topics.delete(topic);
    if (had) this.persist();
    return had;
  }

  snapshot(): TopicConfig[] {
    return this.all().map((t) => ({ ...t }));
  }

  /** Replaces the table (a slave applying its master's snapshot). */
  load(configs: readonly TopicConfig[]): void {
    this.topics = new Map(configs.map((t) => [t.topic, { ...t }]));
    this.persist();
  }

  private persist(): void {
    writeFileAtomic(this.file, JSON.stringify(this.all()));
  }
}
