// "did you mean …" for names the user types, chosen as the brokers choose
// theirs (nearestName), or the names there are when none is close.
import { nearestName } from "../protocol/index.js";

/** "; did you mean X?", or "; <what>: a, b, …" when none is close, or "" when none is known. */
export function hint(name: string, known: string[], what: string): string {
  const near = nearestName(name, known);
  if (near !== undefined) return `; did you mean ${near}?`;
  if (known.length === 0) return "";
  const shown = [...known].sort().slice(0, 10);
  return `; ${what}: ${shown.join(", ")}${known.length > shown.length ? `, … (${known.length})` : ""}`;
}
