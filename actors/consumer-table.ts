// Who is in which consumer group, as this broker hears it from
// client.heartbeat (RocketMQ's ConsumerManager). Members expire after their
// ttl without a heartbeat; every change is reported so that the group's
// members can rebalance at once instead of at their next periodic check.
//
// A heartbeat's cost does not grow with its group: each group keeps its
// member list sorted and shared (copied only when a member joins or
// leaves, not per heartbeat), and change events go out at once up to a
// burst of EVENT_BURST, then at most one per EVENT_INTERVAL_MS carrying the
// latest list. 10,000 members joining one by one used to sort and publish
// the whole list 10,000 times.
import { encodeJson, type ClientHeartbeat } from "../src/protocol/index.js";
import type { Clock } from "./group-transport.js";
import { limitExceeded, type BrokerLimits } from "./limits.js";
import { DetailBudget, NO_DETAILS, queueOwners, type MemberDetails } from "./member-details.js";

export { MAX_DETAIL_ENTRIES, type MemberDetails } from "./member-details.js";

export const DEFAULT_MEMBER_TTL_MS = 30_000;
/** Membership events of one group that go out at once, back to back… */
export const EVENT_BURST = 8;
/** …after which they are this far apart; changes in between go out together at its end. */
export const EVENT_INTERVAL_MS = 100;

interface Group {
  /** clientId → when it expires without another heartbeat. */
  expiry: Map<string, number>;
  /** clientId → its last heartbeat's account of itself. */
  details: Map<string, MemberDetails>;
  /** Sorted ids, never changed in place: a reply or event may still hold it. */
  sorted: readonly string[];
  /** The heartbeat reply for `sorted`, encoded once per change (members' own heartbeats reuse it). */
  reply: Uint8Array | undefined;
  /** Events the group may send at once now (a token bucket: one more per EVENT_INTERVAL_MS, up to EVENT_BURST)… */
  tokens: number;
  /** …as of this time. */
  tokensAt: number;
  pending: unknown;
}

export type MemberLimits = Pick<BrokerLimits, "maxConsumerGroups" | "maxGroupMembers" | "maxMembers">;

export class ConsumerTable {
  private readonly groups = new Map<string, Group>();
  private total = 0;
  private readonly budget = new DetailBudget();

  constructor(
    private readonly onChange: (group: string, members: string[]) => void,
    private readonly limits: MemberLimits,
    private readonly clock: Clock,
  ) {}

  members(group: string): string[] {
    return (this.groups.get(group)?.sorted ?? []) as string[];
  }

  groupNames(): string[] {
    return [...this.groups.keys()].sort();
  }

  /** Members of every group together (in status). */
  size(): number {
    return this.total;
  }

  /** Groups with members (in status). */
  groupCount(): number {
    return this.groups.size;
  }

  /** The largest group's member count (in status). */
  largestGroup(): number {
    let top = 0;
    for (const g of this.groups.values()) top = Math.max(top, g.expiry.size);
    return top;
  }

  /** Records the member (LIMIT_EXCEEDED past a limit, nothing changed); the group's members, sorted. */
  heartbeat(hb: ClientHeartbeat, now: number): string[] {
    const expiresAt = now + (hb.ttlMs ?? DEFAULT_MEMBER_TTL_MS);
    let group = this.groups.get(hb.group);
    if (group?.expiry.has(hb.clientId)) {
      group.expiry.set(hb.clientId, expiresAt);
      this.budget.keep(group.details, hb, now);
      return group.sorted as string[];
    }
    this.admit(hb, group);
    if (!group) this.groups.set(hb.group, (group = { expiry: new Map(), details: new Map(), sorted: [], reply: undefined, tokens: EVENT_BURST, tokensAt: now, pending: undefined }));
    group.expiry.set(hb.clientId, expiresAt);
    this.budget.keep(group.details, hb, now);
    this.total++;
    const at = insertionPoint(group.sorted, hb.clientId);
    const sorted = group.sorted.slice();
    sorted.splice(at, 0, hb.clientId);
    group.sorted = sorted;
    this.changed(hb.group, group);
    return group.sorted as string[];
  }

  /** heartbeat(), answered as the encoded ConsumerMembers reply: a member's own heartbeat costs no encoding. */
  heartbeatReply(hb: ClientHeartbeat, now: number): Uint8Array {
    this.heartbeat(hb, now);
    const g = this.groups.get(hb.group)!;
    return (g.reply ??= encodeJson({ group: hb.group, members: g.sorted }));
  }

  unregister(group: string, clientId: string): string[] {
    const g = this.groups.get(group);
    if (!g?.expiry.delete(clientId)) return this.members(group);
    this.total--;
    this.budget.forget(g.details, clientId);
    g.sorted = g.sorted.filter((id) => id !== clientId);
    this.changed(group, g);
    return g.sorted as string[];
  }

  /** Drops members whose ttl has passed. */
  expire(now: number): void {
    for (const [name, g] of this.groups) {
      const before = g.expiry.size;
      for (const [id, at] of g.expiry) {
        if (at > now) continue;
        g.expiry.delete(id);
        this.budget.forget(g.details, id);
      }
      if (g.expiry.size === before) continue;
      this.total -= before - g.expiry.size;
      g.sorted = g.sorted.filter((id) => g.expiry.has(id));
      this.changed(name, g);
    }
  }

  /**
   * The groups for status, bounded whatever clients did: the first `maxGroups`
   * by name, each with its first `maxListed` members and its member count.
   */
  summary(maxGroups = 100, maxListed = 100): Array<{ group: string; count: number; members: string[] }> {
    return this.groupNames()
      .slice(0, maxGroups)
      .map((name) => {
        const g = this.groups.get(name)!;
        return { group: name, count: g.expiry.size, members: g.sorted.slice(0, maxListed) };
      });
  }

  /** When the member expires without another heartbeat; undefined when it is not a member here. */
  expiresAt(group: string, clientId: string): number | undefined {
    return this.groups.get(group)?.expiry.get(clientId);
  }

  /** Whether the group has live members here. */
  has(group: string): boolean {
    return this.groups.has(group);
  }

  /** The live members of a group with what each said of itself, sorted by client id. */
  details(group: string): Array<{ clientId: string } & MemberDetails> {
    const g = this.groups.get(group);
    if (!g) return [];
    return g.sorted.map((clientId) => ({ clientId, ...(g.details.get(clientId) ?? NO_DETAILS) }));
  }

  /** "topic\u0000queueId" → the member that says it reads that queue (the first by client id when two do, mid-rebalance). */
  owners(group: string): Map<string, string> {
    const g = this.groups.get(group);
    return g ? queueOwners(g.sorted, g.details) : new Map();
  }

  /** Stops pending events (on shutdown). */
  close(): void {
    for (const g of this.groups.values()) if (g.pending !== undefined) this.clock.clear(g.pending);
  }

  private admit(hb: ClientHeartbeat, group: Group | undefined): void {
    const { maxConsumerGroups, maxGroupMembers, maxMembers } = this.limits;
    if (!group && this.groups.size >= maxConsumerGroups) {
      throw limitExceeded("maxConsumerGroups", maxConsumerGroups, `${this.groups.size} consumer groups have members here`, { group: hb.group });
    }
    if (group && group.expiry.size >= maxGroupMembers) {
      throw limitExceeded("maxGroupMembers", maxGroupMembers, `consumer group "${hb.group}" has ${group.expiry.size} members`, { group: hb.group });
    }
    if (this.total >= maxMembers) throw limitExceeded("maxMembers", maxMembers, `${this.total} consumers are members here`, { group: hb.group });
  }

  /** Reports the group's members now, or at the end of its event interval; an emptied group goes once reported. */
  private changed(name: string, g: Group): void {
    g.reply = undefined;
    if (g.pending !== undefined) return;
    const now = this.clock.now();
    const earned = Math.floor((now - g.tokensAt) / EVENT_INTERVAL_MS);
    if (earned > 0) {
      g.tokens = Math.min(EVENT_BURST, g.tokens + earned);
      g.tokensAt = g.tokens === EVENT_BURST ? now : g.tokensAt + earned * EVENT_INTERVAL_MS;
    }
    if (g.tokens > 0) {
      g.tokens--;
      return this.emit(name, g);
    }
    g.pending = this.clock.set(() => {
      g.pending = undefined;
      g.tokensAt = this.clock.now();
      this.emit(name, g);
    }, g.tokensAt + EVENT_INTERVAL_MS - now);
  }

  private emit(name: string, g: Group): void {
    if (g.expiry.size === 0 && this.groups.get(name) === g) this.groups.delete(name);
    this.onChange(name, g.sorted as string[]);
  }
}

/** Where `id` goes in the sorted `ids` (binary search). */
function insertionPoint(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
