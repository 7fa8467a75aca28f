// The masters that replicas named when they refused a write (NOT_MASTER):
// newer than the route until the NameServers hear of the election. A hint
// stands for its group until a route arrives whose master is at the hint's
// term or later, or whose replicas have moved past it: then the route
// knows better. Shared by every client of one route cache.
import { masterHint, type MasterHint } from "../protocol/index.js";
import type { GroupRoute, RouteData } from "../protocol/index.js";

export interface KnownMaster {
  term: number;
  address: string;
}

export class MasterHints {
  private readonly byGroup = new Map<string, KnownMaster>();

  constructor(private readonly addressOf: (group: string, replica: number) => string) {}

  /** The master `err` names (NOT_MASTER with details), kept for its group; undefined when it names none. */
  learn(err: unknown): (MasterHint & { address: string }) | undefined {
    const hint = masterHint(err);
    if (hint === undefined) return undefined;
    const address = hint.master || this.addressOf(hint.group, hint.masterReplica);
    const known = this.byGroup.get(hint.group);
    if (known === undefined || hint.term >= known.term) this.byGroup.set(hint.group, { term: hint.term, address });
    return { ...hint, address };
  }

  /** The address writes to `group` go to: the route's master, or a newer one a replica named. */
  address(route: RouteData, group: string): string | undefined {
    const g = route.groups.find((x) => x.group === group);
    const fromRoute = masterOf(g)?.address;
    if (this.byGroup.size === 0) return fromRoute;
    const hint = this.byGroup.get(group);
    if (hint === undefined) return fromRoute;
    if (g !== undefined && supersedes(g, hint.term)) {
      this.byGroup.delete(group);
      return fromRoute;
    }
    return hint.address;
  }

  /** The master at `address` did not answer: a hint naming it is worth nothing now. */
  forget(group: string, address: string | undefined): void {
    if (this.byGroup.get(group)?.address === address) this.byGroup.delete(group);
  }

  /** The hint still standing for `group`, if any (tests, stats). */
  get(group: string): KnownMaster | undefined {
    return this.byGroup.get(group);
  }
}

/** The route's group knows of the hint's term or a later one: its master (or lack of one) is the newer word. */
function supersedes(g: GroupRoute, term: number): boolean {
  const master = masterOf(g);
  if (master !== undefined && master.term >= term) return true;
  return g.replicas.some((r) => r.term > term);
}

/**
 * The replica that takes writes in a group: its master (routes list only
 * alive and suspect replicas). A route lists one; if an older NameServer
 * lists more, the highest term is the newest.
 */
export function masterOf(group: GroupRoute | undefined) {
  let best: GroupRoute["replicas"][number] | undefined;
  for (const r of group?.replicas ?? []) if (r.role === "master" && (best === undefined || r.term > best.term)) best = r;
  return best;
}
