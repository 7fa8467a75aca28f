// Watches who claims to be master, term by term, from two sources: every
// replica's status, sampled all the time, and the role events the replicas
// publish. Election safety (Raft's §5.2) says at most one replica may be
// master in any one term; a watch that ever saw two is the failure.
import type { ReplicaGroup } from "./replica-group.js";

export interface MasterClaim {
  term: number;
  replica: number;
  /** "status" (a sampled status reply) or "event" (a role event). */
  source: "status" | "event";
  at: number;
}

export interface RoleWatch {
  claims: MasterClaim[];
  /** Status rounds taken so far (every replica asked once per round). */
  rounds(): number;
  /** term → the replicas that claimed master in it, for terms claimed by more than one. */
  conflicts(): Map<number, number[]>;
  /** The replicas that claimed master in `term`. */
  mastersIn(term: number): number[];
  stop(): Promise<void>;
}

export function watchRoles(g: ReplicaGroup, intervalMs = 50): RoleWatch {
  const claims: MasterClaim[] = [];
  let rounds = 0;
  let stopped = false;
  const sampling = (async () => {
    while (!stopped) {
      const all = await g.statuses(300);
      all.forEach((s, replica) => {
        if (s?.role === "master") claims.push({ term: s.term, replica, source: "status", at: Date.now() });
      });
      rounds++;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  const fromEvents = (): MasterClaim[] =>
    g.roleEvents.flatMap((e) => (e.type === "role" && e.role === "master" ? [{ term: e.term, replica: e.replica, source: "event" as const, at: e.at }] : []));
  const all = () => [...claims, ...fromEvents()];
  const mastersIn = (term: number) => [...new Set(all().filter((c) => c.term === term).map((c) => c.replica))].sort();
  return {
    claims,
    rounds: () => rounds,
    mastersIn,
    conflicts() {
      const out = new Map<number, number[]>();
      for (const term of new Set(all().map((c) => c.term))) {
        const who = mastersIn(term);
        if (who.length > 1) out.set(term, who);
      }
      return out;
    },
    async stop() {
      stopped = true;
      await sampling;
    },
  };
}
