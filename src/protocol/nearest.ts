// The closest existing name to one that was not found, for "did you mean"
// hints: brokers put it in an error's `details.nearest`, clients in their
// messages. One function, so every hint is chosen the same way.

/** Edit distance (insertions, deletions, substitutions), case-insensitive; stops counting past `limit`. */
export function editDistance(a: string, b: string, limit = Number.MAX_SAFE_INTEGER): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  if (Math.abs(s.length - t.length) > limit) return limit + 1;
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= t.length; j++) {
      const v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
      row.push(v);
      best = Math.min(best, v);
    }
    if (best > limit) return limit + 1;
    prev = row;
  }
  return prev[t.length]!;
}

/**
 * The candidate closest to `name`, when it is close enough to be a likely
 * typo: at most a third of the name's length away (at least 1, at most 3
 * edits), or one that starts with it. Ties go to the first in sorted order.
 * Undefined when nothing is near or `name` itself is a candidate.
 */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = limit + 1;
  let seen = 0;
  for (const c of candidates) {
    if (c === name) return undefined;
    // a refusal must stay cheap however many names a table holds
    if (++seen > MAX_CANDIDATES) break;
    const d = name.length >= 3 && c.toLowerCase().startsWith(lower) ? Math.min(limit, c.length - name.length) : editDistance(name, c, limit);
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Names compared at most per hint: an error on a table of 10,000 topics costs what one of 1,000 does. */
export const MAX_CANDIDATES = 1000;

/** " (did you mean X?)" for a message, or "" when nothing is near. */
export function didYouMean(nearest: string | undefined): string {
  return nearest === undefined ? "" : ` (did you mean "${nearest}"?)`;
}
