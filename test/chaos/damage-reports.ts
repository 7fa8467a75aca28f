// Damage the system itself reported, found in the JSON log lines of brokers
// and consumers (src/runtime/log.ts): a recovery's `damaged` ranges, and
// records a read refused as CORRUPT_RECORD (details name the commit-log
// offset). The checker counts an unread acknowledged message as damaged only
// when one of these covers it.
import type { DamageReport } from "./checker.js";

/** Parses the JSON lines of a log; other lines are skipped. */
export function logObjects(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (typeof v === "object" && v !== null && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isSafeInteger(v) ? v : undefined);

/** The broker group a consumer line names: its queue key is "topic/<group>/queueId". */
function brokerGroupOf(o: Record<string, unknown>): string | undefined {
  if (typeof o.queue === "string") {
    const parts = o.queue.split("/");
    if (parts.length >= 3) return parts[parts.length - 2];
  }
  for (const k of ["brokerGroup", "broker"]) if (typeof o[k] === "string") return o[k] as string;
  return undefined;
}

/**
 * Damage named in one log line. `group` is the broker group the line is
 * about when the line itself does not say (a broker's own log).
 */
export function damageInLine(line: Record<string, unknown>, source: string, group?: string): DamageReport[] {
  const out: DamageReport[] = [];
  const corrupt = JSON.stringify(line).includes("CORRUPT_RECORD");
  const visit = (o: Record<string, unknown>, g: string | undefined) => {
    const here = brokerGroupOf(o) ?? g;
    if (Array.isArray(o.damaged) && here) {
      for (const d of o.damaged) {
        const from = isObject(d) ? num(d.from) : undefined;
        const to = isObject(d) ? num(d.to) : undefined;
        if (from !== undefined && to !== undefined && to > from) out.push({ group: here, from, to, source: `${source}: damaged range` });
      }
    }
    const at = num(o.commitLogOffset);
    if (corrupt && at !== undefined && here) out.push({ group: here, from: at, to: at + Math.max(1, num(o.size) ?? 1), source: `${source}: CORRUPT_RECORD` });
    for (const v of Object.values(o)) if (isObject(v) && !Array.isArray(v)) visit(v, here);
  };
  visit(line, group);
  return out;
}

/** The largest `truncatedBytes` a recovery logged (0 when none did). */
export function truncatedBytes(lines: ReadonlyArray<Record<string, unknown>>): number {
  let max = 0;
  const visit = (o: Record<string, unknown>) => {
    const t = num(o.truncatedBytes);
    if (t !== undefined && t > max) max = t;
    for (const v of Object.values(o)) if (isObject(v) && !Array.isArray(v)) visit(v);
  };
  for (const l of lines) visit(l);
  return max;
}
