// Consumer groups' settings (RocketMQ's SubscriptionGroupManager): consume
// mode, retries, whether the group may consume. Persisted to
// <dir>/config/subscriptionGroups.json (temp + rename) on every change, as
// topics are; shipped to slaves with the topic table (ha.config).
import * as path from "node:path";
import type { SubscriptionGroupConfig } from "../protocol/admin.js";
import { CONSUME_MODES } from "../protocol/admin.js";
import { readJsonFile, writeFileAtomic } from "./atomic-file.js";

export type { SubscriptionGroupConfig };

/** An entry read from a file or the wire; anything that is not one is dropped. */
function valid(v: unknown): v is SubscriptionGroupConfig {
  const c = v as Partial<SubscriptionGroupConfig> | null;
  return typeof c === "object" && c !== null && typeof c.group === "string" && (CONSUME_MODES as readonly string[]).includes(c.consumeMode as string)
    && Number.isSafeInteger(c.retryMaxTimes) && typeof c.consumeEnable === "boolean";
}

export class SubscriptionGroupTable {
  private groups = new Map<string, SubscriptionGroupConfig>();

  private constructor(private readonly file: string) {}

  static open(dir: string): SubscriptionGroupTable {
    const table = new SubscriptionGroupTable(path.join(dir, "config", "subscriptionGroups.json"));
    table.groups = index(readJsonFile<unknown[]>(table.file) ?? []);
    return table;
  }

  get(group: string): SubscriptionGroupConfig | undefined {
    return this.groups.get(group);
  }

  all(): SubscriptionGroupConfig[] {
    return [...this.groups.values()].map((g) => ({ ...g }));
  }

  get size(): number {
    return this.groups.size;
  }

  /** Throws (and changes nothing) if the table cannot be written. */
  put(config: SubscriptionGroupConfig): void {
    this.replace(new Map(this.groups).set(config.group, { ...config }));
  }

  /** Replaces the table (a slave applying its master's snapshot). */
  load(configs: readonly unknown[]): void {
    this.replace(index(configs));
  }

  private replace(next: Map<string, SubscriptionGroupConfig>): void {
    writeFileAtomic(this.file, JSON.stringify([...next.values()]));
    this.groups = next;
  }
}

function index(configs: readonly unknown[]): Map<string, SubscriptionGroupConfig> {
  const out = new Map<string, SubscriptionGroupConfig>();
  if (!Array.isArray(configs)) return out;
  for (const c of configs) {
    if (!valid(c)) continue;
    const { group, consumeMode, retryMaxTimes, consumeEnable } = c;
    out.set(group, { group, consumeMode, retryMaxTimes, consumeEnable, ...(c.consumeMessageOrderly === true ? { consumeMessageOrderly: true } : {}) });
  }
  return out;
}
