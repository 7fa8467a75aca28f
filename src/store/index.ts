// The storage engine's public surface.
export { MessageStore } from "./message-store.js";
export type { AppendRawResult, ArrivalListener, StoreStats } from "./message-store.js";
export type { StoreOptions } from "./options.js";
export { FlushMode } from "./options.js";
export type { PutMessageResult, PutResult } from "./put-batch.js";
export type { CorruptRecord, GetOptions, GetResult } from "./get-messages.js";
export type { RecoveryReport } from "./recovery.js";
export type { PutMessage, StoredMessage } from "./types.js";
export { AppendRawStatus, GetStatus, LookupStatus, PutStatus } from "./status.js";
export { tagHash } from "./tag-hash.js";
export { ConsumerOffsets, type OffsetTable } from "./consumer-offsets.js";
export { TopicTable } from "./topic-config.js";
export { SubscriptionGroupTable } from "./subscription-groups.js";
export { ElectionState, type Vote } from "./election-state.js";
export type { StartTermResult, TermStart } from "./message-store.js";
export type { RawRead } from "./commit-log.js";
export type { StoreTimerFns } from "./options.js";
