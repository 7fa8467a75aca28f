// Damage the system itself reported, found in the JSON log lines of brokers
// and consumers (src/runtime/log.ts): a recovery's damaged ranges and torn
// tails ({from, to}), and records a read refused as CORRUPT_RECORD (named by
// their commit-log offset). The checker counts an unread acknowledged message as damaged only
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

/** Messages that announce damage: the store's recovery lines and a consumer's stepped-over record. */
const DAMAGE_MSG = /damaged|torn tail|corrupt/i;

/**
 * Damage named in one log line: a `damaged` list of ranges, a line about
 * damage with `from`/`to`, or a record named by `commitLogOffset`. `group` is
 * the broker group the line is about when it does not say (a broker's log).
 */
export function damageInLine(line: Record<string, unknown>, source: string, group?: string): DamageReport[] {
  const out: DamageReport[] = [];
  const about = (typeof line.msg === "string" && DAMAGE_MSG.test(line.msg)) || JSON.stringify(line).includes("CORRUPT_RECORD");
  const what = typeof line.msg === "string" ? line.msg : "damage";
  // only the commit log's own lines give from/to in commit-log offsets (a rebuilt queue's are queue offsets)
  const logRange = about && /^commit log /.test(what);
  const visit = (o: Record<string, unknown>, g: string | undefined) => {
    const here = brokerGroupOf(o) ?? g;
    if (!here) return;
    const ranges = Array.isArray(o.damaged) ? o.damaged.filter(isObject) : logRange ? [o] : [];
    for (const d of ranges) {
      const from = num(d.from);
      const to = num(d.to);
      if (from !== undefined && to !== undefined && to > from) out.push({ group: here, from, to, source: `${source}: ${what}` });
    }
    const at = num(o.commitLogOffset);
    if (about && at !== undefined && at >= 0) out.push({ group: here, from: at, to: at + Math.max(1, num(o.size) ?? 1), source: `${source}: ${what}` });
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
