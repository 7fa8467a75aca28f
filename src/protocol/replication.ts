// Wire types of replication inside a broker group: a slave's fetch of the
// master's commit log (ha.fetch), votes (rbus.broker.<g>.vote), the copy of
// topic configs and consumer offsets (ha.config), and the hand-over of
// mastership (ha.transfer). JSON, except a fetch reply, which is a frame:
// u32 big-endian length of a JSON head, the head, then raw commit-log bytes.
import { decodeJson, encodeJson } from "./json.js";
import { bool, int, object, oneOf, optInt, parseObject, type Json } from "./validate.js";
import type { TopicConfig } from "./types.js";
import type { SubscriptionGroupConfig } from "./admin.js";

export interface FetchRequest {
  replica: number;
  /** The asker's current term. */
  term: number;
  /** The asker's log end: everything before it is acknowledged. */
  offset: number;
  /** Term of the asker's last record (0 if its log is empty). */
  lastTerm: number;
  maxBytes: number;
  /** How long the master may hold the request when there is nothing new. */
  waitMs: number;
  /** The commit offset the asker knows: a master with a newer one answers at once instead of holding. */
  commit?: number;
}

export const FetchStatus = { ok: "OK", truncate: "TRUNCATE", notMaster: "NOT_MASTER", reset: "RESET" } as const;
export type FetchStatus = (typeof FetchStatus)[keyof typeof FetchStatus];

export interface FetchHead {
  status: FetchStatus;
  /** The answering replica's term. */
  term: number;
  /** The master as the answering replica knows it (-1 if unknown). */
  master: number;
  /** The master's commit offset. */
  commit: number;
  /** The master's log end. */
  end: number;
  /** The master's first offset (retention). */
  minOffset: number;
  /**
   * TRUNCATE: the asker's log diverges. `divergedTerm` is the newest term of
   * the master's log at or before the asker's last term, and `truncateTo`
   * where that term ends in the master's log; the asker truncates to the
   * smaller of that and where the term ends in its own log, then fetches
   * again (Kafka's OffsetsForLeaderEpoch). RESET: the asker's log ends before
   * the master's first offset (retention): it cannot catch up by fetching.
   */
  truncateTo?: number;
  divergedTerm?: number;
  /** Changes whenever the master's topic configs or consumer offsets do: a slave refreshes its copy (ha.config). */
  configVersion: number;
}

export interface FetchReply {
  head: FetchHead;
  /** Whole records from the requested offset (OK only). */
  bytes: Uint8Array;
}

export function decodeFetchRequest(data: Uint8Array): FetchRequest {
  const o = parseObject(data);
  return {
    replica: int(o, "replica", 0, 1000),
    term: int(o, "term"),
    offset: int(o, "offset"),
    lastTerm: int(o, "lastTerm"),
    maxBytes: int(o, "maxBytes", 1, 64 * 1024 * 1024),
    waitMs: int(o, "waitMs", 0, 60_000),
    ...(o.commit === undefined ? {} : { commit: int(o, "commit") }),
  };
}

export function encodeFetchReply(head: FetchHead, bytes?: Uint8Array): Uint8Array {
  const json = encodeJson(head);
  const out = Buffer.allocUnsafe(4 + json.byteLength + (bytes?.byteLength ?? 0));
  out.writeUInt32BE(json.byteLength, 0);
  out.set(json, 4);
  if (bytes) out.set(bytes, 4 + json.byteLength);
  return out;
}

export function decodeFetchReply(data: Uint8Array): FetchReply {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 4) throw new TypeError("fetch reply shorter than its frame");
  const n = buf.readUInt32BE(0);
  if (4 + n > buf.length) throw new TypeError("fetch reply head runs past the frame");
  const o = object(decodeJson(buf.subarray(4, 4 + n)), "fetch reply");
  const head: FetchHead = {
    status: oneOf(o, "status", Object.values(FetchStatus)),
    term: int(o, "term"),
    master: int(o, "master", -1, 1000),
    commit: int(o, "commit"),
    end: int(o, "end"),
    minOffset: int(o, "minOffset"),
    configVersion: int(o, "configVersion"),
  };
  const to = optInt(o, "truncateTo");
  if (to !== undefined) head.truncateTo = to;
  const diverged = optInt(o, "divergedTerm");
  if (diverged !== undefined) head.divergedTerm = diverged;
  return { head, bytes: buf.subarray(4 + n) };
}

export interface VoteRequest {
  from: number;
  /** The term the candidate asks for (its next term for a pre-vote). */
  term: number;
  preVote: boolean;
  /** A hand-over by the master: grant even though a master was heard lately. */
  transfer: boolean;
  lastTerm: number;
  lastOffset: number;
}

export interface VoteReply {
  from: number;
  term: number;
  granted: boolean;
  preVote: boolean;
  /** The master the voter follows (-1 if none). */
  master: number;
}

export function decodeVoteRequest(data: Uint8Array): VoteRequest {
  const o = parseObject(data);
  return {
    from: int(o, "from", 0, 1000),
    term: int(o, "term"),
    preVote: bool(o, "preVote"),
    transfer: bool(o, "transfer"),
    lastTerm: int(o, "lastTerm"),
    lastOffset: int(o, "lastOffset"),
  };
}

export function decodeVoteReply(data: Uint8Array): VoteReply {
  const o = parseObject(data);
  return {
    from: int(o, "from", 0, 1000),
    term: int(o, "term"),
    granted: bool(o, "granted"),
    preVote: bool(o, "preVote"),
    master: int(o, "master", -1, 1000),
  };
}

/** What a slave copies from its master besides the log (RocketMQ's SlaveSynchronize). */
export interface ConfigSnapshot {
  version: number;
  topics: TopicConfig[];
  /** consumer group → topic → queueId → next offset. */
  offsets: Record<string, Record<string, Record<string, number>>>;
  /** Consumer groups' settings (subgroup.upsert); absent from a master before them. */
  groups?: SubscriptionGroupConfig[];
}

export function decodeConfigSnapshot(data: Uint8Array): ConfigSnapshot {
  const o = parseObject(data) as Json & ConfigSnapshot;
  int(o, "version");
  if (!Array.isArray(o.topics)) throw new TypeError("config snapshot without topics");
  object(o.offsets, "offsets");
  if (o.groups !== undefined && !Array.isArray(o.groups)) throw new TypeError("config snapshot with groups that are not a list");
  return o;
}

export interface TransferRequest {
  /** The master's term: the target campaigns for the next one. */
  term: number;
}

export interface FailoverRequest {
  /** The replica to hand mastership to; the most caught-up one when absent. */
  to?: number;
}
