// lock.batch.<cg> / unlock.batch.<cg>: an orderly consumer leases queue
// locks from the master of the queues' broker group (RocketMQ's
// lockBatchMQ / unlockBatchMQ). See docs/orderly.md for the lease arithmetic.
import { BadRequestError } from "./errors.js";
import { array, name, object, topicName, int, type Json } from "./validate.js";

/** Queues one lock or unlock request may name (a member's queues of one broker group). */
export const MAX_LOCK_QUEUES = 1024;

export interface LockQueue {
  topic: string;
  queueId: number;
  /**
   * The member believes it holds this lock now (a renewal). A master in its
   * first lease takes renewals only: it cannot know what its predecessor granted.
   */
  held?: boolean;
}

export interface LockBatchRequest {
  /** The consumer group; must be the subject's last token. */
  group: string;
  clientId: string;
  queues: LockQueue[];
}

export interface LockBatchReply {
  /**
   * The queues this member holds now (granted or renewed), each with its
   * fencing token: new at each grant, kept by renewals. The member's offset
   * commits for the queue carry it (OffsetCommitEntry.lock); a commit with
   * another token is refused, so one sent under an earlier grant and
   * delivered late cannot move the queue back.
   */
  locked: Array<{ topic: string; queueId: number; token: number }>;
  /**
   * How long, from when the master read the request, the grant stands at
   * least: the lease, or less when the member's heartbeat runs out first
   * (an expired member loses its locks). The member trusts its locks no
   * longer than this after it sent the request.
   */
  validMs: number;
}

export interface UnlockBatchReply {
  unlocked: number;
}

/** {group, clientId, queues: [{topic, queueId, held?}]}; unlock ignores `held`. */
export function decodeLockBatch(o: Json): LockBatchRequest {
  const group = name(o, "group");
  const clientId = name(o, "clientId");
  const list = array(o, "queues");
  if (list.length > MAX_LOCK_QUEUES) throw new BadRequestError(`"queues" lists ${list.length} queues; at most ${MAX_LOCK_QUEUES} per request`);
  const queues = list.map((v): LockQueue => {
    const e = object(v, "a queue");
    const q: LockQueue = { topic: topicName(e, "topic"), queueId: int(e, "queueId", 0, 65535) };
    if (e.held !== undefined && e.held !== false) {
      if (e.held !== true) throw new BadRequestError(`"held" must be true or false`);
      q.held = true;
    }
    return q;
  });
  return { group, clientId, queues };
}
