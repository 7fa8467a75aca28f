// Who is in which consumer group, as this broker hears it from
// client.heartbeat (RocketMQ's ConsumerManager). Members expire after their
// ttl without a heartbeat; every change is reported so that the group's
// members can rebalance at once instead of at their next periodic check.
import type { ClientHeartbeat } from "../src/protocol/index.js";

interface Member {
  heartbeat: ClientHeartbeat;
  expiresAt: number;
}

export const DEFAULT_MEMBER_TTL_MS = 30_000;

export class ConsumerTable {
  private readonly groups = new Map<string, Map<string, Member>>();

  constructor(private readonly onChange: (group: string, members: string[]) => void) {}

  members(group: string): string[] {
    return [...(this.groups.get(group)?.keys() ?? [])].sort();
  }

  groupNames(): string[] {
    return [...this.groups.keys()].sort();
  }

  heartbeat(hb: ClientHeartbeat, now: number): string[] {
    let group = this.groups.get(hb.group);
    if (!group) this.groups.set(hb.group, (group = new Map()));
    const isNew = !group.has(hb.clientId);
    group.set(hb.clientId, { heartbeat: hb, expiresAt: now + (hb.ttlMs ?? DEFAULT_MEMBER_TTL_MS) });
    const members = this.members(hb.group);
    if (isNew) this.onChange(hb.group, members);
    return members;
  }

  unregister(group: string, clientId: string): string[] {
    const g = this.groups.get(group);
    if (g?.delete(clientId)) {
      if (g.size === 0) this.groups.delete(group);
      this.onChange(group, this.members(group));
    }
    return this.members(group);
  }

  /** Drops members whose ttl has passed. */
  expire(now: number): void {
    for (const [name, g] of this.groups) {
      let changed = false;
      for (const [id, m] of g) {
        if (m.expiresAt <= now) {
          g.delete(id);
          changed = true;
        }
      }
      if (g.size === 0) this.groups.delete(name);
      if (changed) this.onChange(name, this.members(name));
    }
  }
}
