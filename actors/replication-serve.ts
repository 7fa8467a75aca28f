// What a replica answers for the rest of its group: ha.fetch (the master
// ships its log; anyone else says who the master is), ha.config (topic
// configs and consumer offsets), ha.transfer (the master hands over),
// ha.begin (a new master announces itself) and the group's vote subject. Every replica serves all of them whatever its
// role, so a slave that asks the wrong replica learns the right one.
import {
  BadRequestError,
  decodeFetchRequest,
  decodeVoteReply,
  decodeVoteRequest,
  encodeFetchReply,
  encodeJson,
  FetchStatus,
  int,
  parseObject,
  type FetchHead,
  type Role,
  type VoteReply,
  type VoteRequest,
} from "../src/protocol/index.js";
import type { MessageStore } from "../src/store/index.js";
import type { Logger } from "../src/runtime/log.js";
import type { GroupTransport } from "./group-transport.js";
import type { MasterDuty } from "./replication-master.js";
import type { ConfigSource } from "./replication-config.js";

export type { ConfigSource } from "./replication-config.js";

/** Events this file sends the role machine. */
export type ServeEvent =
  | { type: "FOLLOWER_FETCH"; replica: number; term: number }
  | { type: "HIGHER_TERM"; term: number; master: number | null }
  | { type: "TRANSFER_NOW"; term: number }
  | { type: "MASTER_HEARD"; term: number; master: number };

export interface ServeOptions {
  replica: number;
  store: MessageStore;
  transport: GroupTransport;
  master: MasterDuty;
  config: ConfigSource | undefined;
  log: Logger;
  term(): number;
  role(): Role;
  masterId(): number | null;
  send(e: ServeEvent): void;
  /** The role machine's answer to a vote request (decided synchronously). */
  voteReply(request: VoteRequest): unknown;
}

const EMPTY = new Uint8Array(0);
/**
 * How far past its own term a replica follows a request's term. Pre-votes
 * keep a cut-off replica's term still, so a real group is never this far
 * ahead; a forged term near 2^53 would leave the group no next term to
 * elect in (2^53 + 1 is not a JavaScript integer), unable to ever elect again.
 */
export const MAX_TERM_LEAD = 1_000_000;
/** How long a fetch from a slave that has not heard the latest commit offset may be held. */
const COMMIT_NEWS_WAIT_MS = 5;

export function serveReplication(opts: ServeOptions) {
  const { store, transport, master } = opts;

  const head = (): Omit<FetchHead, "status"> => ({
    term: opts.term(), master: opts.masterId() ?? -1, commit: store.commitOffset, end: store.maxPhysicalOffset,
    minOffset: store.minPhysicalOffset, configVersion: opts.config?.version() ?? 0,
  });

  const near = (term: number): number => {
    if (term > opts.term() + MAX_TERM_LEAD) throw new BadRequestError(`term ${term} is more than ${MAX_TERM_LEAD} past this replica's term ${opts.term()}`);
    return term;
  };

  const fetch = async (data: Uint8Array): Promise<Uint8Array> => {
    const req = decodeFetchRequest(data);
    near(req.term);
    // a fetch acknowledges for the replica it names: one named outside the group, or this replica itself,
    // would be a fourth log end in a group of three, and the commit offset could not be counted again
    if (!master.isMember(req.replica) || req.replica === opts.replica) {
      throw new BadRequestError(`replica ${req.replica} is not another replica of this group`);
    }
    if (req.term > opts.term()) opts.send({ type: "HIGHER_TERM", term: req.term, master: null });
    if (opts.role() !== "master" || !master.isActive || req.term < opts.term()) {
      return encodeFetchReply({ ...head(), status: FetchStatus.notMaster });
    }
    opts.send({ type: "FOLLOWER_FETCH", replica: req.replica, term: req.term });
    const diverged = master.divergence(req, head());
    if (diverged) return encodeFetchReply(diverged);
    master.acknowledge(req.replica, req.offset);
    // A slave that does not know the commit offset yet learns it soon: its consumers wait for it.
    // Soon, not at once: under load the next append comes within the short wait and carries it,
    // which saves a round trip per batch.
    const behind = req.commit !== undefined && req.commit < store.commitOffset;
    await master.hold(req.offset, behind ? Math.min(req.waitMs, COMMIT_NEWS_WAIT_MS) : req.waitMs);
    if (!master.isActive) return encodeFetchReply({ ...head(), status: FetchStatus.notMaster });
    if (req.offset >= store.maxPhysicalOffset) return encodeFetchReply({ ...head(), status: FetchStatus.ok });
    const again = shared.take(req.offset, req.maxBytes, opts.term(), store.maxPhysicalOffset, store.commitOffset);
    if (again) return again;
    const bytes = store.readRaw(req.offset, req.maxBytes);
    const reply = encodeFetchReply({ ...head(), status: FetchStatus.ok }, bytes);
    shared.keep(req.offset, req.maxBytes, bytes.length, opts.term(), store.commitOffset, reply);
    return reply;
  };
  const shared = new SharedChunk();

  const unserve = [
    transport.serve("ha.fetch", fetch),
    transport.serve("ha.config", (data) => {
      parseObject(data);
      if (!opts.config) return encodeJson({ version: 0, topics: [], offsets: {} });
      return encodeJson(opts.config.snapshot());
    }),
    transport.serve("ha.transfer", (data) => {
      const term = near(int(parseObject(data), "term"));
      opts.send({ type: "TRANSFER_NOW", term });
      return encodeJson({ ok: true });
    }),
    // a new master announces itself (KRaft's BeginQuorumEpoch): slaves follow it without waiting for a timeout
    transport.serve("ha.begin", (data) => {
      const o = parseObject(data);
      const term = near(int(o, "term"));
      const m = int(o, "master", 0, 1000);
      // a master outside the group would be followed until the next election timeout: nobody to fetch from
      if (!master.isMember(m)) throw new BadRequestError(`"master" ${m} is not a replica of this group`);
      if (term >= opts.term() && m !== opts.replica) opts.send({ type: "MASTER_HEARD", term, master: m });
      return encodeJson({ ok: true, term: opts.term() });
    }),
    transport.serveVotes((data) => {
      const request = decodeVoteRequest(data);
      if (request.from === opts.replica) return EMPTY;
      if (!master.isMember(request.from)) throw new BadRequestError(`"from" ${request.from} is not a replica of this group`);
      near(request.term);
      return encodeJson(opts.voteReply(request));
    }),
  ];

  return {
    broadcastVote(request: VoteRequest, windowMs: number, onReply: (reply: VoteReply) => void): void {
      transport.broadcast(encodeJson(request), windowMs, (data) => {
        try {
          const reply = decodeVoteReply(data);
          if (reply.from !== opts.replica) onReply(reply);
        } catch (err) {
          opts.log.debug("vote reply ignored", { error: String(err) });
        }
      });
    },
    stop(): void {
      for (const u of unserve) u();
    },
  };
}

/**
 * The last chunk answered, for the next slave that asks for the same
 * offset: slaves woken by the same append ask together, and the second
 * gets the first's reply as it is instead of a second read, check and
 * copy: the same whole records from the same offset, a prefix of what a
 * fresh read would return once the log has grown. Only within the term,
 * for the same maxBytes, while the log still holds the bytes, and with the
 * same commit offset (a slave's readers wait for it); its `end` may be a
 * moment old, which only measures the slave's lag.
 */
export class SharedChunk {
  private offset = -1;
  private maxBytes = -1;
  private end = -1;
  private term = -1;
  private commit = -1;
  private reply: Uint8Array | undefined;
  /** Handed out once: a third asker (a group of five) reads afresh. */
  private taken = false;

  take(offset: number, maxBytes: number, term: number, logEnd: number, commit: number): Uint8Array | undefined {
    if (this.reply === undefined || this.taken || offset !== this.offset || term !== this.term || maxBytes !== this.maxBytes) return undefined;
    if (commit !== this.commit) return undefined;
    if (this.end > logEnd) return undefined;
    this.taken = true;
    return this.reply;
  }

  keep(offset: number, maxBytes: number, bytes: number, term: number, commit: number, reply: Uint8Array): void {
    this.commit = commit;
    this.offset = offset;
    this.maxBytes = maxBytes;
    this.end = offset + bytes;
    this.term = term;
    this.reply = reply;
    this.taken = false;
  }
}
