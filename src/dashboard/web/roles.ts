// A replica's role as two sources say it, which differ for a while after a
// failover: the NameServers' route (BrokerRow.role), which routes a master
// that a newer term replaced as slave, and the replica's own word (what it
// last registered, BrokerInfo.claimedRole, or its role actor's state). A
// master killed with -9 says nothing more, so its own word stays "master"
// until the NameServers declare it dead. Both are shown where they differ,
// unless the replica's word is the newer one: a replica just elected is
// master before the next poll of the route says so.
import type { BrokerRow } from "../api.js";

const ROUTED = new Set(["master", "slave"]);

/**
 * Why the route and the replica's own word differ, for a reader; undefined
 * when they agree, either is unknown or no routed role, or the replica's
 * term is as new as any the group's route holds (the route is catching up).
 */
export function roleConflict(route: string | undefined, own: string | undefined, ownTerm?: number, newestTerm?: number): string | undefined {
  if (!route || !own || route === own || !ROUTED.has(route) || !ROUTED.has(own)) return undefined;
  if (ownTerm !== undefined && newestTerm !== undefined && ownTerm >= newestTerm) return undefined;
  const why = own === "master" ? `another replica holds a newer term${newestTerm === undefined ? "" : ` (${newestTerm})`}; a master that stopped says it is master until it is declared dead` : "its own word is older than the route";
  return `The NameServers route it as ${route}; the replica itself last said ${own} (${why}).`;
}

/** The newest term the route holds for a broker group. */
export const newestTerm = (rows: readonly BrokerRow[], group: string): number | undefined =>
  rows.reduce<number | undefined>((t, b) => (b.group === group && (t === undefined || b.term > t) ? b.term : t), undefined);

/** The role a role actor's state value lights at the top ("candidate.preVote" → "candidate"). */
export const topRole = (stateText: string): string => stateText.split(".")[0] ?? "";
