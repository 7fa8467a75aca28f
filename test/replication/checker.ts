// What must hold over a whole run, whatever the faults (Raft's election
// safety and leader completeness, as seen from outside):
// - no two replicas are master in one term;
// - every acknowledged put is, after convergence, in every live replica's
//   log at the queue offset it was given, in order, and no message appears
//   that was never written;
// - the live replicas' commit logs are equal byte for byte.
import type { ReplicationEvent } from "../../actors/replication.js";
import type { PutMessageResult } from "../../src/store/index.js";
import type { PutMessage } from "../../src/store/types.js";
import { logDigest, readQueues, type QueueKey } from "./read-queues.js";
import type { MessageStore } from "../../src/store/index.js";

export interface Acked {
  queue: QueueKey;
  queueOffset: number;
  body: string;
  term: number;
}

export class Checker {
  /** Broken invariants and bugs seen during the run, in the order seen. */
  readonly violations: string[] = [];
  readonly acked: Acked[] = [];
  private readonly masters = new Map<number, number>();
  private readonly written = new Set<string>();

  role(replica: number, role: string, term: number): void {
    if (role !== "master") return;
    const other = this.masters.get(term);
    if (other === undefined) this.masters.set(term, replica);
    else if (other !== replica) this.fault(`two masters in term ${term}: r${other} and r${replica}`);
  }

  /** Real campaigns (not pre-votes) as term -> the replicas that ran in it. */
  readonly campaigns = new Map<number, number[]>();

  event(replica: number, e: ReplicationEvent): void {
    if (e.type === "role") this.role(replica, e.role, e.term);
    if (e.type === "election" && !e.preVote) this.campaigns.set(e.term, [...(this.campaigns.get(e.term) ?? []), replica]);
  }

  /** term -> the replica that was master in it. */
  get mastersByTerm(): ReadonlyMap<number, number> {
    return this.masters;
  }

  attempted(msgs: readonly PutMessage[]): void {
    for (const m of msgs) this.written.add(Buffer.from(m.body).toString());
  }

  acknowledged(msgs: readonly PutMessage[], results: readonly PutMessageResult[], term: number): void {
    msgs.forEach((m, n) => {
      this.acked.push({ queue: `${m.topic}/${m.queueId}`, queueOffset: results[n]!.queueOffset, body: Buffer.from(m.body).toString(), term });
    });
  }

  fault(what: string): void {
    if (!this.violations.includes(what)) this.violations.push(what);
  }

  /** Problems with the replicas' logs; empty when every acknowledged put is everywhere and the logs are equal. */
  checkLogs(stores: ReadonlyArray<{ replica: number; store: MessageStore }>, queues: Iterable<QueueKey>): string[] {
    const problems: string[] = [];
    const digests = new Set<string>();
    for (const { replica, store } of stores) {
      const read = readQueues(store, queues);
      for (const a of this.acked) {
        const m = read.get(a.queue)?.find((x) => x.queueOffset === a.queueOffset);
        if (m?.body !== a.body) problems.push(`r${replica}: acknowledged ${a.queue}@${a.queueOffset} "${a.body}" is ${m ? `"${m.body}"` : "missing"}`);
      }
      for (const [queue, msgs] of read) {
        msgs.forEach((m, n) => {
          if (!this.written.has(m.body)) problems.push(`r${replica}: ${queue}@${m.queueOffset} "${m.body}" was never written`);
          if (n > 0 && m.queueOffset <= msgs[n - 1]!.queueOffset) problems.push(`r${replica}: ${queue} out of order at ${m.queueOffset}`);
        });
      }
      digests.add(logDigest(store));
    }
    if (digests.size > 1) problems.push(`commit logs differ: ${[...digests].join(" / ")}`);
    return problems;
  }
}
