// Which states of a chart to light: XState gives a state value as a
// string ("alive"), or as an object for nested and parallel states
// ({candidate: "preVote"}); a chart names its states by their path
// ("candidate", "candidate.preVote"). Shared by the server and the page.

/** Every active state's id, outermost first. */
export function activeStateIds(value: unknown, parent = ""): string[] {
  const join = (key: string) => (parent ? `${parent}.${key}` : key);
  if (typeof value === "string") return [join(value)];
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [];
  const ids: string[] = [];
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    ids.push(join(key), ...activeStateIds(child, join(key)));
  }
  return ids;
}
