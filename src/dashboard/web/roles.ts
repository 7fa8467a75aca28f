// A replica's role as two sources say it, which differ for a while after a
// failover: the NameServers' route (BrokerRow.role), which routes a master
// that a newer term replaced as slave, and the replica's own word (what it
// last registered, BrokerInfo.claimedRole, or its role actor's state). A
// master killed with -9 says nothing more, so its own word stays "master"
// until the NameServers declare it dead. Both are shown where they differ.

const ROUTED = new Set(["master", "slave"]);

/** Why the two differ, for a reader; undefined when they agree or either is unknown or no routed role. */
export function roleConflict(route: string | undefined, own: string | undefined): string | undefined {
  if (!route || !own || route === own || !ROUTED.has(route) || !ROUTED.has(own)) return undefined;
  const why = own === "master" ? "another replica holds a newer term; a master that stopped says it is master until it is declared dead" : "its own word is older than the route";
  return `The NameServers route it as ${route}; the replica itself last said ${own} (${why}).`;
}

/** The role a role actor's state value lights at the top ("candidate.preVote" → "candidate"). */
export const topRole = (stateText: string): string => stateText.split(".")[0] ?? "";
