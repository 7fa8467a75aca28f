// One row per broker replica for `rbus cluster`: what the NameServer knows
// (liveness, last heartbeat, role as routes see it), refreshed by the
// replica's own `status` reply when it answers (role, term, commit offset,
// log end, its followers' lag). Fields a replica does not report are null:
// replicas from before replication register none of them.
import type { BrokerInfo, FollowerStatus, Liveness, Role } from "../protocol/index.js";

export interface ReplicaView {
  cluster: string;
  group: string;
  replica: number;
  role: Role;
  term: number;
  liveness: Liveness;
  commitOffset: number | null;
  end: number | null;
  /** A slave's distance behind its master in bytes; 0 on the master; null when unknown. */
  lagBytes: number | null;
  lastHeartbeatAt: number;
  topics: number;
  address: string;
  /** Whether the replica answered its status request (else the NameServer's figures, as of its heartbeat). */
  answered: boolean;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (...vs: unknown[]): number | null => {
  for (const v of vs) if (typeof v === "number" && Number.isFinite(v)) return v;
  return null;
};
const role = (v: unknown): Role | null => (v === "master" || v === "slave" || v === "candidate" ? v : null);

function followersOf(...vs: unknown[]): FollowerStatus[] {
  for (const v of vs) {
    if (Array.isArray(v)) return v.filter((f): f is FollowerStatus => isObject(f) && typeof f.replica === "number");
  }
  return [];
}

/** The group's master: the live replica claiming master with the highest term (as NameServer routes choose). */
export function groupMaster<T extends { role: Role; term: number; liveness: Liveness }>(replicas: T[]): T | undefined {
  return replicas
    .filter((r) => r.role === "master" && r.liveness !== "dead")
    .reduce<T | undefined>((best, r) => (best === undefined || r.term > best.term ? r : best), undefined);
}

/** `statuses` maps a replica's address to its status reply (absent when it did not answer). */
export function replicaViews(brokers: BrokerInfo[], statuses: Map<string, unknown>): ReplicaView[] {
  const rows = brokers.map((b) => {
    const s = statuses.get(b.address);
    const st: Json = isObject(s) ? s : {};
    const repl: Json = isObject(st.replication) ? st.replication : {};
    const store: Json = isObject(st.store) ? st.store : {};
    const followers = followersOf(st.followers, repl.followers, b.followers);
    const view: ReplicaView = {
      cluster: b.cluster,
      group: b.group,
      replica: b.replica,
      role: role(st.role) ?? role(repl.role) ?? b.role,
      term: num(st.term, repl.term, b.term) ?? 0,
      liveness: b.liveness,
      commitOffset: num(st.commitOffset, repl.commit, repl.commitOffset, b.commitOffset),
      end: num(st.end, repl.end, b.end, store.maxOffset),
      lagBytes: null,
      lastHeartbeatAt: b.lastHeartbeatAt,
      topics: b.topics,
      address: b.address,
      answered: isObject(s),
    };
    return { view, followers, nsLag: num(b.lagBytes) };
  });
  for (const group of new Set(rows.map((r) => r.view.group))) {
    const members = rows.filter((r) => r.view.group === group);
    const master = groupMaster(members.map((r) => r.view));
    const masterRow = members.find((r) => r.view === master);
    for (const r of members) r.view.lagBytes = lagOf(r.view, master, masterRow?.followers ?? [], r.nsLag);
  }
  return rows.map((r) => r.view).sort((a, b) => a.group.localeCompare(b.group) || a.replica - b.replica);
}

function lagOf(v: ReplicaView, master: ReplicaView | undefined, followers: FollowerStatus[], nsLag: number | null): number | null {
  if (v === master) return 0;
  // Two fresh ends say more than the master's report as of the follower's last fetch.
  if (master && master.answered && v.answered && master.end !== null && v.end !== null) return Math.max(0, master.end - v.end);
  return num(followers.find((f) => f.replica === v.replica)?.lagBytes, nsLag);
}

/** 1536 → "1.5 KiB"; null → "-". */
export function bytes(n: number | null): string {
  if (n === null) return "-";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) (v /= 1024), i++;
  return `${v.toFixed(1)} ${units[i]}`;
}
