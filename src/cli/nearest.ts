// "did you mean …" for names the user types: the closest of the known names
// by edit distance, when it is close enough to be a likely typo.

/** Levenshtein distance: insertions, deletions and substitutions, each costing 1. */
export function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** The known name nearest to `name`, if at most a third of it (and at least 1 edit, at most 3) differs; ties go to the first. */
export function nearest(name: string, known: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance && d <= limit) [best, bestDistance] = [k, d];
  }
  return best;
}

/** " (did you mean X?)", or the known names when none is close, or "" when none is known. */
export function hint(name: string, known: string[], what: string): string {
  const near = nearest(name, known);
  if (near !== undefined) return `; did you mean ${near}?`;
  if (known.length === 0) return "";
  const shown = [...known].sort().slice(0, 10);
  return `; ${what}: ${shown.join(", ")}${known.length > shown.length ? `, … (${known.length})` : ""}`;
}
