// The send.batch payload: many messages of one topic (the Rbus-Topic
// header) in one request. Binary, so that a batch costs one buffer to build
// and one pass to read, with no JSON and no base64.
//
// All integers big-endian.
//   magic     u32  0x52424231 ("RBB1")
//   count     u32  messages that follow
//   then per message:
//     1 queueId        i32   -1: the broker picks the queue
//     2 bornTimestamp  f64   producer's clock, ms since the epoch
//     3 tagsLength     u16,  tags UTF-8
//     4 keysLength     u16,  keys UTF-8 (space-separated)
//     5 propsCount     u16,  then per property: keyLength u16, key, valueLength u16, value (UTF-8)
//     6 bodyLength     u32,  body bytes
import { BadRequestError } from "./errors.js";
import { setProperty } from "./validate.js";

export const BATCH_MAGIC = 0x52424231;

export interface BatchEntry {
  queueId: number;
  bornTimestamp: number;
  tags?: string;
  keys?: string;
  properties?: Record<string, string>;
  body: Uint8Array;
}

const u16 = 0xffff;

function strLen(s: string | undefined, what: string): number {
  const n = s ? Buffer.byteLength(s) : 0;
  if (n > u16) throw new BadRequestError(`${what} is longer than ${u16} bytes`);
  return n;
}

/** Bytes the encoded batch will take. */
export function batchSize(entries: readonly BatchEntry[]): number {
  let size = 8;
  for (const e of entries) {
    size += 4 + 8 + 2 + strLen(e.tags, "tags") + 2 + strLen(e.keys, "keys") + 2 + 4 + e.body.byteLength;
    if (e.properties) {
      for (const k in e.properties) size += 4 + strLen(k, "property name") + strLen(e.properties[k], "property value");
    }
  }
  return size;
}

/** `size`: batchSize(entries), when the caller has counted it already (a producer's batcher does, as it fills). */
export function encodeBatch(entries: readonly BatchEntry[], size = batchSize(entries)): Buffer {
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt32BE(BATCH_MAGIC, 0);
  buf.writeUInt32BE(entries.length, 4);
  let o = 8;
  for (const e of entries) {
    buf.writeInt32BE(e.queueId, o);
    buf.writeDoubleBE(e.bornTimestamp, o + 4);
    o = writeStr(buf, o + 12, e.tags);
    o = writeStr(buf, o, e.keys);
    // for…in, not Object.keys: no array per message when it has no properties
    const countAt = o;
    let props = 0;
    o += 2;
    for (const k in e.properties) {
      o = writeStr(buf, o, k);
      o = writeStr(buf, o, e.properties[k]);
      props++;
    }
    buf.writeUInt16BE(props, countAt);
    buf.writeUInt32BE(e.body.byteLength, o);
    buf.set(e.body, o + 4);
    o += 4 + e.body.byteLength;
  }
  if (o !== size) throw new Error(`send.batch encoded ${o} bytes where ${size} were counted`);
  return buf;
}

function writeStr(buf: Buffer, o: number, s: string | undefined): number {
  const n = s ? buf.write(s, o + 2, "utf8") : 0;
  buf.writeUInt16BE(n, o);
  return o + 2 + n;
}

/** Decodes a batch; bodies are views into `data`. Throws BadRequestError on any malformed byte. */
export function decodeBatch(data: Uint8Array): BatchEntry[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const bad = (what: string): never => {
    throw new BadRequestError(`malformed send.batch payload: ${what}`);
  };
  if (buf.length < 8 || buf.readUInt32BE(0) !== BATCH_MAGIC) bad("missing RBB1 magic (see docs/protocol.md)");
  const count = buf.readUInt32BE(4);
  const out: BatchEntry[] = [];
  let o = 8;
  const need = (n: number) => {
    if (o + n > buf.length) bad(`truncated at byte ${o} (message ${out.length} of ${count})`);
  };
  const str = () => {
    need(2);
    const n = buf.readUInt16BE(o);
    need(2 + n);
    const s = buf.toString("utf8", o + 2, o + 2 + n);
    o += 2 + n;
    return s;
  };
  for (let i = 0; i < count; i++) {
    need(12);
    const queueId = buf.readInt32BE(o);
    const bornTimestamp = buf.readDoubleBE(o + 4);
    // the record keeps it as a u64 of ms: NaN, Infinity or 2^64 cannot be written there
    if (!Number.isSafeInteger(bornTimestamp) || bornTimestamp < 0) bad(`message ${i}: bornTimestamp ${bornTimestamp} is not a time in ms since the epoch`);
    o += 12;
    const tags = str();
    const keys = str();
    need(2);
    const nProps = buf.readUInt16BE(o);
    o += 2;
    let properties: Record<string, string> | undefined;
    for (let p = 0; p < nProps; p++) {
      properties ??= {};
      const k = str();
      setProperty(properties, k, str());
    }
    need(4);
    const len = buf.readUInt32BE(o);
    need(4 + len);
    const body = buf.subarray(o + 4, o + 4 + len);
    o += 4 + len;
    // one object per message, fields added only when present (no spread temporaries on the broker's hot path)
    const e: BatchEntry = { queueId, bornTimestamp, body };
    if (tags) e.tags = tags;
    if (keys) e.keys = keys;
    if (properties) e.properties = properties;
    out.push(e);
  }
  if (o !== buf.length) bad(`${buf.length - o} bytes after the last message`);
  return out;
}

// The send.batch reply: headers Rbus-Status, Rbus-Group and Rbus-Topic, and
// a payload of fixed-size rows, so neither side builds JSON per message.
//   count  u32
//   then per message, in request order:
//     queueId          u32
//     queueOffset      f64
//     commitLogOffset  f64   (the message id is <group>:<this in 16 hex digits>)
const REPLY_ROW = 20;

export function encodeBatchReply(queueIds: readonly number[], queueOffsets: readonly number[], commitLogOffsets: readonly number[]): Buffer {
  const n = queueIds.length;
  const buf = Buffer.allocUnsafe(4 + n * REPLY_ROW);
  buf.writeUInt32BE(n, 0);
  for (let i = 0, o = 4; i < n; i++, o += REPLY_ROW) {
    buf.writeUInt32BE(queueIds[i]!, o);
    buf.writeDoubleBE(queueOffsets[i]!, o + 4);
    buf.writeDoubleBE(commitLogOffsets[i]!, o + 12);
  }
  return buf;
}

export function decodeBatchReply(data: Uint8Array): { queueIds: number[]; queueOffsets: number[]; commitLogOffsets: number[] } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const n = buf.length >= 4 ? buf.readUInt32BE(0) : -1;
  if (n < 0 || buf.length !== 4 + n * REPLY_ROW) throw new BadRequestError(`malformed send.batch reply of ${buf.length} bytes`);
  const queueIds = new Array<number>(n);
  const queueOffsets = new Array<number>(n);
  const commitLogOffsets = new Array<number>(n);
  for (let i = 0, o = 4; i < n; i++, o += REPLY_ROW) {
    queueIds[i] = buf.readUInt32BE(o);
    queueOffsets[i] = buf.readDoubleBE(o + 4);
    commitLogOffsets[i] = buf.readDoubleBE(o + 12);
  }
  return { queueIds, queueOffsets, commitLogOffsets };
}
