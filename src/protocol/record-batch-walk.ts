// Checks an RBB2 payload (record-batch.ts) without decoding any message:
// every record's framing and length prefixes, its topic name, flags, queue
// and born time, reading only the topic, tags and keys as strings (what
// consume queues and the key index need). Any byte that does not fit is the
// sender's error: BadRequestError naming the record, and nothing else is
// thrown, whatever the payload holds.
import { isGap, isReservedTopic } from "../store/gap-record.js";
import { MAX_QUEUE_ID } from "../store/put-batch.js";
import { ANY_QUEUE, FIXED_BYTES, HEADER_BYTES, RECORD_MAGIC } from "../store/record.js";
import { BadRequestError } from "./errors.js";
import { RECORD_BATCH_HEADER_BYTES, RECORD_BATCH_MAGIC, type RecordBatch } from "./record-batch.js";

const MAX_TOPIC_BYTES = 127;
/** A u64 whose high word is above this is not a safe JS integer. */
const SAFE_HIGH = 0x1fffff;

function bad(what: string): never {
  throw new BadRequestError(`malformed send.batch RBB2 payload: ${what} (see docs/protocol.md)`);
}

/** [%|A-Za-z0-9_-]: the topic rule (subjects.ts isTopicName), on bytes. */
function topicByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d || c === 0x25 || c === 0x7c;
}

// Plain byte reads: every offset read is checked against the payload first, so
// Buffer's own bounds and argument checks would only repeat that per field.
function u32(buf: Buffer, o: number): number {
  return ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
}
function u16(buf: Buffer, o: number): number {
  return (buf[o]! << 8) | buf[o + 1]!;
}

function sameBytes(buf: Buffer, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Walks and checks the payload; see the rules in docs/protocol.md (send.batch, RBB2). */
export function walkRecordBatch(data: Uint8Array): RecordBatch {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const len = buf.length;
  if (len < RECORD_BATCH_HEADER_BYTES || u32(buf, 0) !== RECORD_BATCH_MAGIC) bad("missing RBB2 magic and count");
  const count = u32(buf, 4);
  if (count === 0) bad("count is 0: send.batch needs at least one record");
  if (count > (len - RECORD_BATCH_HEADER_BYTES) / FIXED_BYTES) {
    bad(`count ${count} records cannot fit in ${len - RECORD_BATCH_HEADER_BYTES} bytes (each takes at least ${FIXED_BYTES})`);
  }
  const batch: RecordBatch = { bytes: buf, count, offsets: [], sizes: [], queueIds: [], topics: [], tags: [], keys: [], bodyBytes: [] };
  let o = RECORD_BATCH_HEADER_BYTES;
  let topic = "";
  let topicAt = -1;
  let topicLen = -1;
  let tags = "";
  let tagsAt = -1;
  let tagsLen = 0;
  let i = 0;
  let at = o;
  // the record's name is built only for a refusal: not a string per record
  const fail = (what: string): never => bad(`record ${i} of ${count} at byte ${at}: ${what}`);
  for (; i < count; i++) {
    at = o;
    if (len - at < FIXED_BYTES) fail(`truncated, ${len - at} bytes left where a record takes at least ${FIXED_BYTES}`);
    const size = u32(buf, at);
    if (u32(buf, at + 4) !== RECORD_MAGIC) fail(`record magic 0x${u32(buf, at + 4).toString(16)}, not 0x${RECORD_MAGIC.toString(16)}`);
    if (size < FIXED_BYTES) fail(`totalSize ${size} is below the fixed ${FIXED_BYTES} bytes`);
    if (size > len - at) fail(`totalSize ${size} runs past the payload's end (${len - at} bytes left)`);
    const end = at + size;
    const queueId = u32(buf, at + 28);
    if (queueId !== ANY_QUEUE && queueId > MAX_QUEUE_ID) fail(`queueId ${queueId} is neither a queue nor ANY_QUEUE (0xffffffff)`);
    if (u32(buf, at + 40) > SAFE_HIGH) fail(`bornTimestamp is not a time in ms since the epoch`);
    if (isGap(u32(buf, at + 56))) fail(`flags set the gap bit (0x40000000), which only the store writes`);
    // 11 topic
    let f = at + HEADER_BYTES;
    const tl = u16(buf, f);
    if (f + 2 + tl > end) fail(`topic length ${tl} runs past the record`);
    if (tl !== topicLen || !sameBytes(buf, f + 2, topicAt, tl)) {
      if (tl === 0 || tl > MAX_TOPIC_BYTES) fail(`topic of ${tl} bytes (a topic takes 1 to ${MAX_TOPIC_BYTES})`);
      for (let b = f + 2; b < f + 2 + tl; b++) {
        if (!topicByte(buf[b]!)) fail(`topic has byte 0x${buf[b]!.toString(16)}; topics are letters, digits, '-', '_', '%' or '|'`);
      }
      topic = buf.toString("latin1", f + 2, f + 2 + tl);
      if (isReservedTopic(topic)) fail(`topic "${topic}" is reserved for the store`);
      topicLen = tl;
    }
    topicAt = f + 2;
    f += 2 + tl;
    // 12 tags
    if (f + 2 > end) fail(`tags length runs past the record`);
    const gl = u16(buf, f);
    if (f + 2 + gl > end) fail(`tags length ${gl} runs past the record`);
    if (gl === 0) tags = "";
    else if (gl !== tagsLen || !sameBytes(buf, f + 2, tagsAt, gl)) tags = buf.toString("utf8", f + 2, f + 2 + gl);
    tagsAt = f + 2;
    tagsLen = gl;
    f += 2 + gl;
    // 13 keys
    if (f + 2 > end) fail(`keys length runs past the record`);
    const kl = u16(buf, f);
    if (f + 2 + kl > end) fail(`keys length ${kl} runs past the record`);
    const keys = kl === 0 ? "" : buf.toString("utf8", f + 2, f + 2 + kl);
    f += 2 + kl;
    // 14 properties: the entries must fill their section exactly (a reader walks them)
    if (f + 4 > end) fail(`properties length runs past the record`);
    const propsEnd = f + 4 + u32(buf, f);
    if (propsEnd > end) fail(`properties length ${propsEnd - f - 4} runs past the record`);
    f += 4;
    while (f < propsEnd) {
      if (f + 2 > propsEnd) fail(`a property name's length runs past the properties`);
      f += 2 + u16(buf, f);
      if (f + 2 > propsEnd) fail(`a property's name or value length runs past the properties`);
      f += 2 + u16(buf, f);
      if (f > propsEnd) fail(`a property's value runs past the properties`);
    }
    // 15 body
    if (f + 4 > end) fail(`body length runs past the record`);
    const bodyLen = u32(buf, f);
    if (f + 4 + bodyLen !== end) fail(`the fields take ${f + 4 + bodyLen - at} bytes, totalSize says ${size}`);
    batch.offsets.push(at);
    batch.sizes.push(size);
    batch.queueIds.push(queueId);
    batch.topics.push(topic);
    batch.tags.push(tags);
    batch.keys.push(keys);
    batch.bodyBytes.push(bodyLen);
    o = end;
  }
  if (o !== len) bad(`${len - o} bytes after the last record`);
  return batch;
}
