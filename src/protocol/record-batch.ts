// The send.batch payload "RBB2": records in the commit log's own layout
// (src/store/record.ts), encoded unsealed by the producer, so that a broker
// checks them, fills in what only it knows, and appends the bytes it
// received without decoding and re-encoding each message.
//
// All integers big-endian.
//   magic  u32  0x52424232 ("RBB2")
//   count  u32  records that follow (≥ 1)
//   then `count` records back to back, each as encodeUnsealed() writes it.
import { encodedSize, encodeUnsealed, type UnsealedMessage } from "../store/record.js";

export const RECORD_BATCH_MAGIC = 0x52424232;
/** Bytes before the first record: magic and count. */
export const RECORD_BATCH_HEADER_BYTES = 8;

/** Writes magic and count at buf[0, 8): a producer that encodes records into its own buffer frames them with it. */
export function writeRecordBatchHeader(buf: Buffer, count: number): void {
  buf.writeUInt32BE(RECORD_BATCH_MAGIC, 0);
  buf.writeUInt32BE(count, 4);
}

/**
 * One RBB2 payload holding `messages` in order. `sizes`: each message's
 * encodedSize, when the caller counted them already (a batcher does as it
 * fills). Throws RangeError for a message whose fields cannot be encoded
 * (a topic, tag, key or property longer than its u16 prefix).
 */
export function frameRecordBatch(messages: readonly UnsealedMessage[], sizes?: readonly number[]): Buffer {
  let total = RECORD_BATCH_HEADER_BYTES;
  const own = sizes ?? messages.map(encodedSize);
  for (let i = 0; i < messages.length; i++) {
    const size = own[i]!;
    if (size < 0) throw new RangeError(`message ${i}: a topic, tag, key or property is longer than 65535 bytes`);
    total += size;
  }
  const buf = Buffer.allocUnsafe(total);
  writeRecordBatchHeader(buf, messages.length);
  let at = RECORD_BATCH_HEADER_BYTES;
  for (let i = 0; i < messages.length; i++) {
    encodeUnsealed(buf, at, own[i]!, messages[i]!);
    at += own[i]!;
  }
  return buf;
}

/**
 * A payload that walkRecordBatch() checked, as parallel arrays (one array
 * per field for the batch, no object per record). Record i is
 * bytes[offsets[i], offsets[i] + sizes[i]); the records lie back to back
 * from RECORD_BATCH_HEADER_BYTES to the end.
 */
export interface RecordBatch {
  /** The payload itself (a view of the request, not a copy): the store seals records in it. */
  bytes: Buffer;
  count: number;
  offsets: number[];
  sizes: number[];
  /** The queue each record asks for, or ANY_QUEUE; whoever picks one writes it here before storing. */
  queueIds: number[];
  /** A run of records of one topic shares one string. */
  topics: string[];
  /** "" when the record has none. */
  tags: string[];
  /** "" when the record has none. */
  keys: string[];
  bodyBytes: number[];
}

/** The first of `bytes` as an RBB2 payload's magic? (A payload too short for one is not.) */
export function isRecordBatch(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x52 && bytes[1] === 0x42 && bytes[2] === 0x42 && bytes[3] === 0x32;
}
