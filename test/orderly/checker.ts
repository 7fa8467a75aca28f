// Checks a whole orderly run from its journals: what the producer sent,
// what each member processed (begin and end of each listener call), what
// each member's commits the broker acknowledged, and when the test
// SIGKILLed a member.
//
// Must hold:
// 1. Per queue, messages are processed in offset order with no gap, and
//    every message sent is processed.
// 2. Per key, sequences are processed strictly in order, no gap, no
//    duplicate — once the allowed redeliveries (3) are set aside.
// 3. The only redeliveries allowed: after member M was SIGKILLed, the next
//    processing of a queue may start again at an offset o that M had
//    processed but not committed — every offset from o up to where the
//    queue had got was last processed by M before the kill, and no commit of
//    M on that queue acknowledged before the kill is past o. A member cut off
//    the bus counts as killed at the cut for what it processed before its
//    network came back (it could commit none of that).
// 4. No two members process one queue at once: the listener calls of
//    different members on a queue never overlap in time (a killed member's
//    unfinished call lasts until the kill).

export type JournalEvent =
  | { e: "sent"; k: string; s: number; q: number; o: number }
  | { e: "begin" | "end"; m: string; k: string; s: number; q: number; o: number; t: number }
  | { e: "commit"; m: string; q: number; o: number; t: number }
  | { e: "kill"; m: string; t: number }
  /** The member was cut off the bus from t to until (it kept running). */
  | { e: "cut"; m: string; t: number; until: number };

export interface CheckResult {
  problems: string[];
  processed: number;
  redelivered: number;
  sent: number;
}

interface Call {
  m: string;
  k: string;
  s: number;
  q: number;
  o: number;
  begin: number;
  end: number;
}

const MAX_PROBLEMS = 20;

export function check(events: readonly JournalEvent[]): CheckResult {
  const problems: string[] = [];
  const say = (p: string) => void (problems.length < MAX_PROBLEMS && problems.push(p));
  const kills = new Map<string, number>();
  for (const ev of events) if (ev.e === "kill") kills.set(ev.m, Math.min(ev.t, kills.get(ev.m) ?? Infinity));
  const cuts = new Map<string, Array<{ from: number; to: number }>>();
  for (const ev of events) if (ev.e === "cut") cuts.set(ev.m, [...(cuts.get(ev.m) ?? []), { from: ev.t, to: ev.until }]);
  const calls = listenerCalls(events, kills, say);
  const sent = events.filter((ev): ev is Extract<JournalEvent, { e: "sent" }> => ev.e === "sent");

  const redelivered = new Set<Call>();
  const byQueue = groupBy(calls, (c) => c.q);
  const sentPerQueue = groupBy(sent, (s) => s.q);
  for (const q of new Set([...byQueue.keys(), ...sentPerQueue.keys()])) {
    const list = (byQueue.get(q) ?? []).sort((a, b) => a.begin - b.begin);
    const commits = events.filter((ev): ev is Extract<JournalEvent, { e: "commit" }> => ev.e === "commit" && ev.q === q);
    walkQueue(q, list, commits, { kills, cuts }, redelivered, say);
    overlaps(q, list, say);
    const expected = sentPerQueue.get(q)?.length ?? 0;
    const seen = new Set(list.map((c) => c.o));
    const missing = (sentPerQueue.get(q) ?? []).filter((s) => !seen.has(s.o));
    if (missing.length > 0) say(`queue ${q}: ${missing.length} of ${expected} sent messages never processed (first: offset ${missing[0]!.o}, key ${missing[0]!.k}#${missing[0]!.s})`);
  }

  // per key, redeliveries set aside: exactly 0, 1, 2, … as sent
  const sentPerKey = groupBy(sent, (s) => s.k);
  const perKey = groupBy(calls.filter((c) => !redelivered.has(c)).sort((a, b) => a.begin - b.begin), (c) => c.k);
  for (const [k, list] of perKey) {
    list.forEach((c, i) => {
      if (c.s !== i) say(`key ${k}: call ${i} processed #${c.s} (${c.m}, queue ${c.q} offset ${c.o}); expected #${i}`);
    });
    const n = sentPerKey.get(k)?.length ?? 0;
    if (list.length !== n) say(`key ${k}: ${list.length} processed (redeliveries aside), ${n} sent`);
  }
  for (const [k, list] of sentPerKey) if (!perKey.has(k)) say(`key ${k}: none of its ${list.length} messages processed`);

  return { problems, processed: calls.length, redelivered: redelivered.size, sent: sent.length };
}

/** Pairs begin and end per member; a killed member's open call ends at the kill. */
function listenerCalls(events: readonly JournalEvent[], kills: Map<string, number>, say: (p: string) => void): Call[] {
  const open = new Map<string, Call>();
  const calls: Call[] = [];
  for (const ev of events) {
    if (ev.e !== "begin" && ev.e !== "end") continue;
    const id = `${ev.m}\u0000${ev.q}\u0000${ev.o}`;
    if (ev.e === "begin") {
      const c: Call = { m: ev.m, k: ev.k, s: ev.s, q: ev.q, o: ev.o, begin: ev.t, end: Infinity };
      open.set(id, c);
      calls.push(c);
      continue;
    }
    const c = open.get(id);
    if (!c) say(`${ev.m}: end of queue ${ev.q} offset ${ev.o} without a begin`);
    else {
      c.end = ev.t;
      open.delete(id);
    }
  }
  for (const c of open.values()) {
    const killedAt = kills.get(c.m);
    if (killedAt === undefined) say(`${c.m}: queue ${c.q} offset ${c.o} begun and never ended, and ${c.m} was not killed`);
    else c.end = killedAt;
  }
  return calls;
}

function walkQueue(
  q: number,
  list: readonly Call[],
  commits: ReadonlyArray<{ m: string; o: number; t: number }>,
  outages: Outages,
  redelivered: Set<Call>,
  say: (p: string) => void,
): void {
  let next = list.length > 0 ? Math.min(...list.map((c) => c.o)) : 0;
  /** The call that last processed each offset (before a rewind). */
  const last = new Map<number, Call>();
  /** While replaying after a rewind: offsets below this are redeliveries. */
  let replayUntil = -1;
  for (const c of list) {
    if (c.o === next) {
      if (c.o < replayUntil) redelivered.add(c);
      last.set(c.o, c);
      next++;
      continue;
    }
    if (c.o > next) {
      say(`queue ${q}: gap: offset ${c.o} processed by ${c.m} when ${next} was next`);
      next = c.o + 1;
      continue;
    }
    // a rewind to c.o: allowed only onto what members killed before this call processed and had not committed
    const why = rewindRefused(c, [...range(c.o, Math.max(next, replayUntil))].map((o) => last.get(o)), commits, outages);
    if (why !== undefined) say(`queue ${q}: offset ${c.o} processed again by ${c.m} (next was ${next}): ${why}`);
    replayUntil = Math.max(next, replayUntil);
    redelivered.add(c);
    last.set(c.o, c);
    next = c.o + 1;
  }
}

/** Why processing `c` again is not an allowed redelivery; undefined when it is. */
function rewindRefused(
  c: Call,
  tail: ReadonlyArray<Call | undefined>,
  commits: ReadonlyArray<{ m: string; o: number; t: number }>,
  { kills, cuts }: Outages,
): string | undefined {
  for (const [i, t] of tail.entries()) {
    const o = c.o + i;
    if (!t) return `offset ${o} was never processed before`;
    // a cut before this call, and t done before the member's network came back
    const cut = cuts.get(t.m)?.find((x) => x.from <= c.begin && t.begin < x.to);
    const killedAt = kills.get(t.m) ?? cut?.from;
    if (killedAt === undefined) return `offset ${o} was last processed by ${t.m}, which was not killed`;
    if (killedAt > c.begin) return `offset ${o} was last processed by ${t.m}, killed only at ${killedAt}`;
    if (commits.some((k) => k.m === t.m && k.t <= killedAt && k.o > c.o)) return `${t.m} had committed past ${c.o} before it was killed`;
  }
  return undefined;
}

interface Outages {
  kills: Map<string, number>;
  cuts: Map<string, Array<{ from: number; to: number }>>;
}

/** Listener calls of different members on one queue must not overlap. */
function overlaps(q: number, sorted: readonly Call[], say: (p: string) => void): void {
  let widest: Call | undefined;
  for (const c of sorted) {
    if (widest && c.begin < widest.end && widest.m !== c.m) {
      say(`queue ${q}: ${c.m} began offset ${c.o} at ${c.begin} while ${widest.m} was in offset ${widest.o} (${widest.begin}..${widest.end})`);
    }
    if (!widest || c.end > widest.end) widest = c;
  }
}

function* range(from: number, to: number): Iterable<number> {
  for (let i = from; i < to; i++) yield i;
}

function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}
