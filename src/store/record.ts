// The commit-log record: how one message is laid out on disk. Records are
// encoded straight into a caller's buffer (many per buffer, no per-message
// intermediate buffers) and decoded from slices of whatever was read.
import { crc32Range } from "./crc32.js";
import type { DispatchEntry, PutMessage, StoredMessage } from "./types.js";
import { RecordStatus } from "./status.js";
import { setProperty } from "../protocol/validate.js";

/** "RB" + format version 1. A new layout gets a new magic, never a silent change. */
export const RECORD_MAGIC = 0x52420001;
/** Bytes before the topic: fields 1–10 below. */
export const HEADER_BYTES = 60;
/** Offset of the first byte the CRC covers (everything after the CRC field). */
const CRC_FROM = 12;
/** Fixed part: header + the five length prefixes (u16 topic, tags, keys; u32 properties, body). */
export const FIXED_BYTES = HEADER_BYTES + 2 + 2 + 2 + 4 + 4;
const TWO_32 = 4294967296;

export const U16_MAX = 0xffff;

/** Bytes the record for `m` will take; -1 if a field cannot be encoded (too long for its prefix). */
export function encodedSize(m: UnsealedMessage): number {
  const topic = Buffer.byteLength(m.topic);
  const tags = m.tags ? Buffer.byteLength(m.tags) : 0;
  const keys = m.keys ? Buffer.byteLength(m.keys) : 0;
  if (topic > U16_MAX || tags > U16_MAX || keys > U16_MAX) return -1;
  let props = 0;
  const p = m.properties;
  if (p) {
    for (const k in p) {
      const kl = Buffer.byteLength(k);
      const vl = Buffer.byteLength(p[k] as string);
      if (kl > U16_MAX || vl > U16_MAX) return -1;
      props += 4 + kl + vl;
    }
  }
  return FIXED_BYTES + topic + tags + keys + props + m.body.byteLength;
}

/**
 * Writes one record at `buf[at]`; `size` must be encodedSize(m). All integers
 * are big-endian (as RocketMQ); u64 values are JS numbers below 2^53.
 *
 *  offset  field
 *   0   1 totalSize       u32  the whole record, this field included
 *   4   2 magic           u32  RECORD_MAGIC (format version)
 *   8   3 crc32           u32  zlib.crc32 of bytes [12, totalSize): everything below
 *  12   4 term            u64  leader term that appended it (replication, DLedger-style)
 *  20   5 physicalOffset  u64  this record's own commit-log offset: recovery and
 *                              appendRaw check that a record sits where it claims
 *  28   6 queueId         u32
 *  32   7 queueOffset     u64  logical offset in (topic, queueId)
 *  40   8 bornTimestamp   u64  producer's clock, ms
 *  48   9 storeTimestamp  u64  store's clock, ms (retention, offsetForTimestamp)
 *  56  10 flags           u32  RocketMQ sysFlag, opaque here
 *  60  11 topicLength u16, topic UTF-8
 *      12 tagsLength u16, tags UTF-8
 *      13 keysLength u16, keys UTF-8 (space-separated)
 *      14 propertiesLength u32, then per entry: keyLength u16, key, valueLength u16, value (UTF-8)
 *      15 bodyLength u32, body bytes
 */
export function encodeRecord(
  buf: Buffer, at: number, size: number, m: PutMessage,
  term: number, physicalOffset: number, queueOffset: number, storeTimestamp: number,
): void {
  buf.writeUInt32BE(size, at); // 1
  buf.writeUInt32BE(RECORD_MAGIC, at + 4); // 2
  writeU64(buf, at + 40, m.bornTimestamp ?? storeTimestamp); // 8
  buf.writeUInt32BE((m.flags ?? 0) >>> 0, at + 56); // 10
  writeFields(buf, at, m); // 11–15
  sealRecord(buf, at, size, term, physicalOffset, m.queueId, queueOffset, storeTimestamp); // 3–7, 9
}

/** queueId of an unsealed record whose queue the broker picks. */
export const ANY_QUEUE = 0xffffffff;

/** What a producer knows of a message before a broker stores it. */
export type UnsealedMessage = Omit<PutMessage, "queueId"> & { queueId?: number };

/**
 * A record as a producer encodes it for send.batch (RBB2): the layout
 * above, with the fields only the store can know (term, physicalOffset,
 * queueOffset, storeTimestamp, crc32) zero, and queueId the queue asked
 * for or ANY_QUEUE. sealRecord() makes it final in place, so a broker
 * stores the bytes it received without decoding and re-encoding them.
 * A bornTimestamp of 0 asks the store to stamp its own clock.
 */
export function encodeUnsealed(buf: Buffer, at: number, size: number, m: UnsealedMessage): void {
  writeUnsealedHeader(buf, at, size, m.queueId, m.bornTimestamp ?? 0, m.flags ?? 0); // 1–10
  writeFields(buf, at, m); // 11–15
}

/** Offset of field 6, queueId, in a record: a producer moving a batch to another group rewrites it in place. */
export const QUEUE_ID_AT = 28;

/**
 * Fields 1–10 of an unsealed record: its size, the magic, queueId (a
 * negative or absent one is ANY_QUEUE), bornTimestamp and flags, and zero
 * for the rest (crc32, term, offsets, store time). One fill, not a write
 * per field: a producer writes this for every message it queues. The
 * producer's batcher writes fields 11–15 itself (src/client/batcher-wire.ts).
 */
export function writeUnsealedHeader(buf: Buffer, at: number, size: number, queueId: number | undefined, born: number, flags: number): void {
  buf.writeUInt32BE(size, at); // 1
  buf.writeUInt32BE(RECORD_MAGIC, at + 4); // 2
  buf.fill(0, at + 8, at + HEADER_BYTES); // 3–5, 7, 9 (and 6, 8, 10 until written below)
  buf.writeUInt32BE(queueId === undefined || queueId < 0 ? ANY_QUEUE : queueId, at + QUEUE_ID_AT); // 6
  if (born !== 0) writeU64(buf, at + 40, born); // 8
  if (flags !== 0) buf.writeUInt32BE(flags >>> 0, at + 56); // 10
}

/**
 * Writes the fields the store assigns into the record at `buf[at]` (its
 * fields 1, 2, 8, 10–15 already in place) and then its CRC. A zero
 * bornTimestamp becomes the store time.
 */
export function sealRecord(
  buf: Buffer, at: number, size: number,
  term: number, physicalOffset: number, queueId: number, queueOffset: number, storeTimestamp: number,
): void {
  writeU64(buf, at + 12, term); // 4
  writeU64(buf, at + 20, physicalOffset); // 5
  buf.writeUInt32BE(queueId, at + 28); // 6
  writeU64(buf, at + 32, queueOffset); // 7
  if (readU64(buf, at + 40) === 0) writeU64(buf, at + 40, storeTimestamp); // 8
  writeU64(buf, at + 48, storeTimestamp); // 9
  buf.writeUInt32BE(crc32Range(buf, at + CRC_FROM, at + size), at + 8); // 3
}

/** Fields 11–15: topic, tags, keys, properties, body. */
function writeFields(buf: Buffer, at: number, m: UnsealedMessage): void {
  let o = writeStr16(buf, at + HEADER_BYTES, m.topic); // 11
  o = writeStr16(buf, o, m.tags ?? ""); // 12
  o = writeStr16(buf, o, m.keys ?? ""); // 13
  const propsAt = o; // 14
  o += 4;
  const p = m.properties;
  if (p) for (const k in p) o = writeStr16(buf, writeStr16(buf, o, k), p[k] as string);
  buf.writeUInt32BE(o - propsAt - 4, propsAt);
  buf.writeUInt32BE(m.body.byteLength, o); // 15
  buf.set(m.body, o + 4);
}

/**
 * Checks the record at `buf[at]` with `end` the first byte past the readable
 * data. TRUNCATED means the bytes stop early (a torn tail); CORRUPT means
 * they are there but wrong.
 */
export function checkRecord(buf: Buffer, at: number, end: number, verifyCrc = true): RecordStatus {
  if (end - at < 8) return RecordStatus.TRUNCATED;
  const size = buf.readUInt32BE(at);
  if (buf.readUInt32BE(at + 4) !== RECORD_MAGIC || size < FIXED_BYTES) return RecordStatus.CORRUPT;
  if (end - at < size) return RecordStatus.TRUNCATED;
  if (verifyCrc && crc32Range(buf, at + CRC_FROM, at + size) !== buf.readUInt32BE(at + 8)) {
    return RecordStatus.CORRUPT;
  }
  return fieldsFit(buf, at, size) ? RecordStatus.OK : RecordStatus.CORRUPT;
}

/** The length prefixes must add up to exactly totalSize (a CRC can't catch an encoder bug). */
function fieldsFit(buf: Buffer, at: number, size: number): boolean {
  const end = at + size;
  let o = at + HEADER_BYTES;
  for (let i = 0; i < 3; i++) {
    if (o + 2 > end) return false;
    o += 2 + buf.readUInt16BE(o);
  }
  if (o + 4 > end) return false;
  o += 4 + buf.readUInt32BE(o);
  if (o + 4 > end) return false;
  return o + 4 + buf.readUInt32BE(o) === end;
}

export function recordSize(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at);
}
export function recordPhysicalOffset(buf: Buffer, at: number): number {
  return readU64(buf, at + 20);
}
export function recordTerm(buf: Buffer, at: number): number {
  return readU64(buf, at + 12);
}
export function recordFlags(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at + 56);
}
export function recordStoreTimestamp(buf: Buffer, at: number): number {
  return readU64(buf, at + 48);
}

/**
 * What indexing needs from a record that checkRecord passed (replay after a
 * restart): no properties or body decoded. Undefined when `keysOnly` and
 * the record has no keys, without decoding anything.
 */
export function decodeDispatch(buf: Buffer, at: number, offset: number, keysOnly: boolean): DispatchEntry | undefined {
  const topicAt = at + HEADER_BYTES;
  const tagsAt = topicAt + 2 + buf.readUInt16BE(topicAt);
  const keysAt = tagsAt + 2 + buf.readUInt16BE(tagsAt);
  const keysLen = buf.readUInt16BE(keysAt);
  if (keysOnly && keysLen === 0) return undefined;
  const tagsLen = buf.readUInt16BE(tagsAt);
  return {
    topic: buf.toString("utf8", topicAt + 2, tagsAt),
    queueId: buf.readUInt32BE(at + 28),
    queueOffset: readU64(buf, at + 32),
    commitLogOffset: offset,
    size: buf.readUInt32BE(at),
    tags: tagsLen === 0 ? "" : buf.toString("utf8", tagsAt + 2, keysAt),
    keys: keysLen === 0 ? "" : buf.toString("utf8", keysAt + 2, keysAt + 2 + keysLen),
  };
}

/** Decodes a record that checkRecord passed. The body is a slice of `buf`, not a copy. */
const NO_PROPERTIES: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * The record at `at`. With `properties: false` its properties are skipped
 * (an empty, frozen object): what indexing needs, without a string per
 * property (a slave checking a fetched chunk).
 */
export function decodeRecord(buf: Buffer, at: number, opts?: { properties: false }): StoredMessage {
  const size = buf.readUInt32BE(at);
  let o = at + HEADER_BYTES;
  let len = buf.readUInt16BE(o);
  const topic = buf.toString("utf8", o + 2, (o += 2 + len));
  len = buf.readUInt16BE(o);
  const tags = len === 0 ? "" : buf.toString("utf8", o + 2, o + 2 + len);
  o += 2 + len;
  len = buf.readUInt16BE(o);
  const keys = len === 0 ? "" : buf.toString("utf8", o + 2, o + 2 + len);
  o += 2 + len;
  const propsEnd = o + 4 + buf.readUInt32BE(o);
  o += 4;
  const properties: Record<string, string> = opts ? NO_PROPERTIES : {};
  if (opts) o = propsEnd;
  while (o < propsEnd) {
    len = buf.readUInt16BE(o);
    const k = buf.toString("utf8", o + 2, (o += 2 + len));
    len = buf.readUInt16BE(o);
    setProperty(properties, k, buf.toString("utf8", o + 2, (o += 2 + len)));
  }
  const bodyLen = buf.readUInt32BE(o);
  return {
    topic, queueId: buf.readUInt32BE(at + 28), queueOffset: readU64(buf, at + 32),
    commitLogOffset: readU64(buf, at + 20), size, term: readU64(buf, at + 12),
    bornTimestamp: readU64(buf, at + 40), storeTimestamp: readU64(buf, at + 48),
    flags: buf.readUInt32BE(at + 56), tags, keys, properties,
    body: buf.subarray(o + 4, o + 4 + bodyLen),
  };
}

function writeStr16(buf: Buffer, at: number, s: string): number {
  const n = s.length === 0 ? 0 : buf.write(s, at + 2, "utf8");
  buf.writeUInt16BE(n, at);
  return at + 2 + n;
}

export function writeU64(buf: Buffer, at: number, n: number): void {
  buf.writeUInt32BE(Math.floor(n / TWO_32), at);
  buf.writeUInt32BE(n >>> 0, at + 4);
}

export function readU64(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}
