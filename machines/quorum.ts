// Quorum arithmetic for a replica group of n voters (ids 0..n-1).
//
// The commit offset is the largest offset that a majority holds: sort the
// replicas' log ends from largest to smallest and take the majority-th one
// (Raft §5.3, etcd's quorum.MajorityConfig.CommittedIndex). A replica that
// has not reported yet counts as holding nothing (offset 0), so it can only
// hold the commit back, never push it forward.

/** Votes (or copies) needed out of n: floor(n/2)+1. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * The majority-th largest of `ends`, padded with zeros up to n entries.
 * Called once per follower fetch on the master, so it allocates nothing:
 * n is small (3 or 5) and the O(n²) count beats a sort's copy.
 */
export function commitOffset(ends: readonly number[], n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`group size must be a positive integer, got ${n}`);
  if (ends.length > n) throw new RangeError(`${ends.length} offsets for a group of ${n}`);
  const need = majority(n);
  const missing = n - ends.length;
  // The answer is the largest value held by at least `need` replicas; the
  // majority-th largest always qualifies.
  let best = missing > 0 && heldBy(0, ends, missing) >= need ? 0 : -Infinity;
  for (const v of ends) if (v > best && heldBy(v, ends, missing) >= need) best = v;
  return best;
}

/** How many replicas hold offset v; the `missing` ones hold 0. */
function heldBy(v: number, ends: readonly number[], missing: number): number {
  let holders = v <= 0 ? missing : 0;
  for (const e of ends) if (e >= v) holders++;
  return holders;
}
