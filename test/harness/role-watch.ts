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
  /** Status requests made to replica i so far (answered or not). */
  samples(replica: number): number;
  /** term → the replicas that claimed master in it, for terms claimed by more than one. */
  conflicts(): Map<number, number[]>;
  /** The replicas that claimed master in `term`. */
  mastersIn(term: number): number[];
  stop(): Promise<void>;
}

export function watchRoles(g: ReplicaGroup, intervalMs = 50): RoleWatch {
  const claims: MasterClaim[] = [];
  const samples = g.replicas.map(() => 0);
  let stopped = false;
  // One loop per replica: a paused one, slow to time out, does not thin out the others' samples.
  const sampling = Promise.all(g.replicas.map(async (_, replica) => {
    while (!stopped) {
      const s = await g.status(replica, 300);
      if (s?.role === "master") claims.push({ term: s.term, replica, source: "status", at: Date.now() });
      samples[replica]!++;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }));
  const fromEvents = (): MasterClaim[] =>
    g.roleEvents.flatMap((e) => (e.type === "role" && e.role === "master" ? [{ term: e.term, replica: e.replica, source: "event" as const, at: e.at }] : []));
  const all = () => [...claims, ...fromEvents()];
  const mastersIn = (term: number) => [...new Set(all().filter((c) => c.term === term).map((c) => c.replica))].sort();
  return {
    claims,
    samples: (replica) => samples[replica] ?? 0,
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
