// The chaos checker: a pure function from what producers were told and what
// consumers saw to a verdict. A message's identity is its body (unique per
// send): message ids name commit-log offsets, and a truncated log reuses them.
//
//   lost         acknowledged, never read, and no damage report covers it
//   unexplained  acknowledged, not read, covered by a damage report, but no
//                injected fault touched its bytes (collateral damage)
//   order        a queue's offsets went backwards within one lease of one session
//                (unless a reported, injected cut took the message read first)
//   never-sent   a body read that no producer sent (or sent with other bytes)
//
// Duplicates are allowed (at-least-once) and counted: the same body read
// again, and the same body stored under two message ids (a retried send).
import { decodeMsgId } from "../../src/protocol/messages.js";

export interface Ack {
  body: string;
  msgId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  /** When the producer got the acknowledgement (ms since epoch), to place a loss among the faults. */
  at?: number;
  /** The record's bytes in the commit log, when known: bounds it even where a cut tail's offsets were reused. */
  size?: number;
}

export interface Read {
  body: string;
  msgId: string;
  group: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  /** The consumer process incarnation that read it. */
  session: string;
  /** Bumped each time the session acquires the queue: a new lease may start again from the committed offset. */
  lease: number;
}

/** What the system said is damaged: commit-log bytes [from, to) of a broker group. */
export interface DamageReport {
  group: string;
  from: number;
  to: number;
  source: string;
}

/** What the harness broke: bytes [from, to) of a group's commit log, by which fault. */
export interface InjectedDamage {
  group: string;
  from: number;
  to: number;
  fault: string;
}

export interface CheckInput {
  sent: ReadonlySet<string>;
  acks: readonly Ack[];
  reads: readonly Read[];
  reports: readonly DamageReport[];
  injected: readonly InjectedDamage[];
}

export type Violation =
  | { kind: "lost"; body: string; msgId: string; queue: string; at?: number }
  | { kind: "unexplained"; body: string; msgId: string; queue: string; report: string; at?: number }
  | { kind: "order"; session: string; queue: string; offset: number; after: number; body: string; afterBody: string }
  | { kind: "never-sent"; body: string; msgId: string; queue: string; session: string };

export interface Verdict {
  ok: boolean;
  acked: number;
  /** Distinct acknowledged bodies read. */
  read: number;
  /** Acknowledged, not read, and reported as damaged (with a cause). */
  damaged: number;
  /** Reads of a body already read. */
  duplicateReads: number;
  /** Bodies stored under more than one message id. */
  storedTwice: number;
  violations: Violation[];
}

const queueName = (group: string, topic: string, queueId: number, offset: number) => `${group}/${topic}/${queueId}@${offset}`;

export function check(input: CheckInput): Verdict {
  const violations: Violation[] = [];
  const readBodies = new Map<string, Set<string>>(); // body → message ids it was read under
  let duplicateReads = 0;
  for (const r of input.reads) {
    const ids = readBodies.get(r.body);
    if (ids) duplicateReads++;
    if (ids) ids.add(r.msgId);
    else readBodies.set(r.body, new Set([r.msgId]));
    if (!input.sent.has(r.body)) {
      violations.push({ kind: "never-sent", body: r.body, msgId: r.msgId, queue: queueName(r.group, r.topic, r.queueId, r.queueOffset), session: r.session });
    }
  }
  const ends = recordEnds(input);
  let read = 0;
  let damaged = 0;
  for (const a of input.acks) {
    const id = decodeMsgId(a.msgId);
    const queue = id ? queueName(id.group, a.topic, a.queueId, a.queueOffset) : `${a.topic}/${a.queueId}@${a.queueOffset}`;
    const extent = id && {
      group: id.group,
      from: id.commitLogOffset,
      to: Math.max(id.commitLogOffset + (a.size ?? 1), ends.get(id.group)?.(id.commitLogOffset) ?? Infinity),
    };
    const report = extent && input.reports.find((d) => overlaps(d, extent));
    const broken = extent && input.injected.some((d) => overlaps(d, extent));
    if (readBodies.has(a.body)) read++;
    else if (!report) violations.push({ kind: "lost", body: a.body, msgId: a.msgId, queue, at: a.at });
    else if (!broken) violations.push({ kind: "unexplained", body: a.body, msgId: a.msgId, queue, report: `${report.source} [${report.from}, ${report.to})`, at: a.at });
    else damaged++;
  }
  violations.push(...orderViolations(input.reads));
  let storedTwice = 0;
  for (const ids of readBodies.values()) if (ids.size > 1) storedTwice++;
  return { ok: violations.length === 0, acked: input.acks.length, read, damaged, duplicateReads, storedTwice, violations };
}

function overlaps(a: { group: string; from: number; to: number }, b: { group: string; from: number; to: number }): boolean {
  return a.group === b.group && a.from < b.to && b.from < a.to;
}

/**
 * Per group, where the record starting at an offset ends at the latest: the
 * next record start anyone saw (acknowledged or read). Records are not
 * contiguous in what we see, so this bounds a record from above, except
 * where a truncation let a new record start inside an old one (then the
 * record's own size, when known, bounds it).
 */
function recordEnds(input: CheckInput): Map<string, (offset: number) => number | undefined> {
  const starts = new Map<string, number[]>();
  const add = (msgId: string) => {
    const id = decodeMsgId(msgId);
    if (!id) return;
    const list = starts.get(id.group) ?? [];
    list.push(id.commitLogOffset);
    starts.set(id.group, list);
  };
  for (const a of input.acks) add(a.msgId);
  for (const r of input.reads) add(r.msgId);
  const out = new Map<string, (offset: number) => number | undefined>();
  for (const [group, list] of starts) {
    const sorted = [...new Set(list)].sort((x, y) => x - y);
    out.set(group, (offset) => {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sorted[mid]! <= offset) lo = mid + 1;
        else hi = mid;
      }
      return sorted[lo];
    });
  }
  return out;
}

/**
 * Within one lease of one session, each queue's offsets strictly increase.
 * A store that gave a cut message's queue offset to a new message breaks
 * this too: the session that read the old one pulls past the new one.
 */
function orderViolations(reads: readonly Read[]): Violation[] {
  const last = new Map<string, Read>();
  const violations: Violation[] = [];
  for (const r of reads) {
    const key = `${r.session}#${r.lease}|${r.group}/${r.topic}/${r.queueId}`;
    const before = last.get(key);
    if (before !== undefined && r.queueOffset <= before.queueOffset) {
      const queue = `${r.group}/${r.topic}/${r.queueId}`;
      violations.push({ kind: "order", session: `${r.session}#${r.lease}`, queue, offset: r.queueOffset, after: before.queueOffset, body: r.body, afterBody: before.body });
    }
    last.set(key, r);
  }
  return violations;
}
