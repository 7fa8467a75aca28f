// Shapes that cross the store's boundary: what a producer hands in and what
// a consumer gets back.

/** One message to store. */
export interface PutMessage {
  topic: string;
  queueId: number;
  body: Uint8Array;
  /** One tag (RocketMQ allows one); consume queues keep its 64-bit hash for filtering. */
  tags?: string;
  /** Space-separated keys, as RocketMQ's KEYS property; indexed for queryByKey. */
  keys?: string;
  properties?: Record<string, string>;
  /** The producer's clock, ms; defaults to the store's clock. */
  bornTimestamp?: number;
  /** RocketMQ's sysFlag: compression, transaction state, ...; opaque to the store. */
  flags?: number;
}

/** A message as read back from the commit log. */
export interface StoredMessage {
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  /** Size of the whole record in the commit log. */
  size: number;
  term: number;
  bornTimestamp: number;
  storeTimestamp: number;
  flags: number;
  tags: string;
  keys: string;
  properties: Record<string, string>;
  /** A slice of the read buffer; copy it to keep it beyond the next read. */
  body: Buffer;
}

/** What the dispatcher needs from a record to update consume queues and the key index. */
export interface DispatchEntry {
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  size: number;
  tags: string;
  keys: string;
}
