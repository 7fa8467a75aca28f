// What members say of themselves in their heartbeats (host, version,
// subscriptions, the queues they hold on this broker group), kept per
// member for consumer.connection and consumer.progress, within one budget
// of entries for the whole consumer table.
import type { ClientHeartbeat, ConsumeMode } from "../src/protocol/index.js";

export interface MemberDetails {
  host: string;
  version: string;
  mode: ConsumeMode;
  subscriptions: ReadonlyArray<{ topic: string; tags: string }>;
  /** This broker group's queues it reads, as it said: empty when the table's budget was spent. */
  queues: ReadonlyArray<{ topic: string; queueId: number }>;
  at: number;
}

/**
 * Subscriptions and held queues kept for all members together: past it a
 * member's list of queues is not kept (it still counts as a member), so the
 * table's memory stays bounded whatever heartbeats carry (about 100 bytes
 * an entry: some 25 MB).
 */
export const MAX_DETAIL_ENTRIES = 250_000;

export const NO_DETAILS: MemberDetails = { host: "", version: "", mode: "clustering", subscriptions: [], queues: [], at: 0 };

/** The budget of detail entries shared by every group's member map. */
export class DetailBudget {
  private entries = 0;

  /** Keeps the heartbeat's account of the member in `book`, within the budget. */
  keep(book: Map<string, MemberDetails>, hb: ClientHeartbeat, now: number): void {
    this.forget(book, hb.clientId);
    const subscriptions = hb.subscriptions ?? hb.topics.map((topic) => ({ topic, tags: "*" }));
    let queues = hb.queues ?? [];
    if (this.entries + subscriptions.length + queues.length > MAX_DETAIL_ENTRIES) queues = [];
    const kept = this.entries + subscriptions.length > MAX_DETAIL_ENTRIES ? [] : subscriptions;
    this.entries += kept.length + queues.length;
    book.set(hb.clientId, { host: hb.host ?? "", version: hb.version ?? "", mode: hb.mode, subscriptions: kept, queues, at: now });
  }

  forget(book: Map<string, MemberDetails>, clientId: string): void {
    const d = book.get(clientId);
    if (!d) return;
    this.entries -= d.subscriptions.length + d.queues.length;
    book.delete(clientId);
  }
}

/** "topic\u0000queueId" → the member that says it reads that queue (the first in `ids` when two do, mid-rebalance). */
export function queueOwners(ids: readonly string[], book: ReadonlyMap<string, MemberDetails>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const id of ids) {
    for (const q of book.get(id)?.queues ?? []) {
      const k = `${q.topic}\u0000${q.queueId}`;
      if (!owners.has(k)) owners.set(k, id);
    }
  }
  return owners;
}
