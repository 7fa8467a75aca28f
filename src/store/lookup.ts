// Lookups by commit-log offset that tell a damaged record from a missing
// one: an offset whose header still names itself (magic and own offset
// intact) but whose record fails its checks is CORRUPT_RECORD, not NOT_FOUND.
import type { CommitLog } from "./commit-log.js";
import { isGap } from "./gap-record.js";
import type { CorruptRecord } from "./get-messages.js";
import { MAX_PER_QUERY, type KeyIndex } from "./key-index.js";
import { readHead } from "./recovery.js";
import { LookupStatus } from "./status.js";
import type { StoredMessage } from "./types.js";

export type Lookup =
  | { status: typeof LookupStatus.FOUND; message: StoredMessage }
  | { status: typeof LookupStatus.NOT_FOUND }
  | { status: typeof LookupStatus.CORRUPT_RECORD; corrupt: CorruptRecord };

export function lookupRecord(log: CommitLog, offset: number): Lookup {
  const message = log.readRecord(offset);
  if (message && isGap(message.flags)) return { status: LookupStatus.NOT_FOUND };
  if (message) return { status: LookupStatus.FOUND, message };
  const head = offset >= log.minOffset && offset < log.maxOffset ? readHead(log, offset) : null;
  if (!head) return { status: LookupStatus.NOT_FOUND };
  const size = log.read(offset, 4).readUInt32BE(0);
  return { status: LookupStatus.CORRUPT_RECORD, corrupt: { ...head, size, nextOffset: head.queueOffset + 1 } };
}

export interface KeyQueryResult {
  /** Newest last. */
  messages: StoredMessage[];
  /** Records the key index points at that fail their checks (their keys cannot be confirmed). */
  corrupt: CorruptRecord[];
}

/**
 * Up to `max` (at most MAX_PER_QUERY) messages of `topic` carrying `key`,
 * each re-checked against its record: the index's offsets are hints (a
 * hash shared with other keys, a record removed or cut).
 */
export function findByKey(log: CommitLog, keys: KeyIndex, topic: string, key: string, max: number): KeyQueryResult {
  const out: KeyQueryResult = { messages: [], corrupt: [] };
  const limit = Math.min(max, MAX_PER_QUERY);
  const seen = new Set<number>();
  if (limit <= 0) return out;
  keys.walk(topic, key, (offset) => {
    if (seen.has(offset)) return true; // one record's key listed twice, or a record indexed in two files
    seen.add(offset);
    const found = lookupRecord(log, offset);
    if (found.status === LookupStatus.CORRUPT_RECORD) out.corrupt.push(found.corrupt);
    if (found.status !== LookupStatus.FOUND) return true;
    const m = found.message;
    if (m.topic === topic && m.keys.split(" ").includes(key)) out.messages.push(m);
    return out.messages.length < limit;
  });
  out.messages.reverse();
  return out;
}
