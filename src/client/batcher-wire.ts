// How a batch lays its messages out in a send.batch payload. Each message is
// written straight into its batch's buffer when it is queued: no per-message
// wire object and no second pass when the batch goes.
//   RBB2  records in the commit log's own layout, unsealed (the bytes of
//         encodeUnsealed in src/store/record.ts): each names its topic, so one request carries
//         every topic bound for one broker group, and the broker seals and
//         appends the bytes as they are.
//   RBB1  the entries of src/protocol/batch.ts, one topic per request (the
//         Rbus-Topic header): for brokers that do not take RBB2.
// Both: magic u32, count u32, then the messages back to back.
import { BATCH_MAGIC } from "../protocol/index.js";
import { RECORD_BATCH_HEADER_BYTES, RECORD_BATCH_MAGIC } from "../protocol/record-batch.js";
import { FIXED_BYTES, HEADER_BYTES, QUEUE_ID_AT, writeUnsealedHeader } from "../store/record.js";

/** The payload's magic and count: the same 8 bytes for RBB1 and RBB2. */
export const BATCH_HEADER = RECORD_BATCH_HEADER_BYTES;

/** A message checked and ready to be written (see producer-message.ts). */
export interface Outgoing {
  topic: string;
  /** The queue it goes to; -1: the broker picks. */
  queueId: number;
  body: Uint8Array;
  /** A string body not encoded yet (then `body` is empty): written as UTF-8 straight into the batch. */
  text: string | undefined;
  /** Bytes of the body (of `text` as UTF-8 when it is set). */
  bodyLength: number;
  tags: string | undefined;
  keys: string | undefined;
  properties: Record<string, string> | undefined;
  bornTimestamp: number;
  flags: number;
  /** Bytes of body, tags, keys and property names and values. */
  size: number;
  /** Number of user properties. */
  props: number;
}

export interface BatchWire {
  readonly name: "RBB1" | "RBB2";
  readonly magic: number;
  /** One topic per request: batches are per topic and broker group, not per group. */
  readonly perTopic: boolean;
  /** Bytes `e` takes in a payload. */
  size(e: Outgoing): number;
  write(buf: Buffer, at: number, size: number, e: Outgoing): void;
  /** Bytes of the message written at `at`. */
  sizeAt(buf: Buffer, at: number): number;
  /** Gives the message written at `at` another queue (a batch moved to another group). */
  setQueue(buf: Buffer, at: number, queueId: number): void;
}

/**
 * The bytes encodeUnsealed (src/store/record.ts) writes, with the header
 * from the same writeUnsealedHeader, and the rest written with fewer
 * calls: the topic (ASCII) byte by byte, a string body as UTF-8 in place.
 * It is the producer's largest cost per message after its promise; the
 * batcher's tests check the bytes against encodeUnsealed's.
 */
function writeRecord(buf: Buffer, at: number, size: number, e: Outgoing): void {
  writeUnsealedHeader(buf, at, size, e.queueId, e.bornTimestamp, e.flags); // 1–10
  const topic = e.topic;
  buf.writeUInt16BE(topic.length, at + HEADER_BYTES); // 11
  for (let i = 0, o = at + HEADER_BYTES + 2; i < topic.length; i++) buf[o + i] = topic.charCodeAt(i); // ASCII
  let o = writeStr(buf, at + HEADER_BYTES + 2 + topic.length, e.tags); // 12
  o = writeStr(buf, o, e.keys); // 13
  const propsAt = o; // 14
  o += 4;
  const p = e.properties;
  if (p) for (const k in p) o = writeStr(buf, writeStr(buf, o, k), p[k]);
  buf.writeUInt32BE(o - propsAt - 4, propsAt);
  writeBody(buf, o, e); // 15
}

/** Body length u32, then the body: copied, or a string body written as UTF-8 in place. */
function writeBody(buf: Buffer, o: number, e: Outgoing): void {
  buf.writeUInt32BE(e.bodyLength, o);
  if (e.text === undefined) buf.set(e.body, o + 4);
  else buf.write(e.text, o + 4, "utf8");
}

export const RBB2: BatchWire = {
  name: "RBB2",
  magic: RECORD_BATCH_MAGIC,
  perTopic: false,
  // topic names are ASCII (isSubjectToken): their length is their byte count
  size: (e) => FIXED_BYTES + e.topic.length + e.size + 4 * e.props,
  write: writeRecord,
  sizeAt: (buf, at) => buf.readUInt32BE(at),
  setQueue: (buf, at, queueId) => void buf.writeUInt32BE(queueId, at + QUEUE_ID_AT),
};

/** Per-entry overhead in the RBB1 layout: queueId 4, born 8, three u16 lengths, body length 4. */
const RBB1_OVERHEAD = 4 + 8 + 2 + 2 + 2 + 4;

export const RBB1: BatchWire = {
  name: "RBB1",
  magic: BATCH_MAGIC,
  perTopic: true,
  size: (e) => RBB1_OVERHEAD + e.size + 4 * e.props,
  write(buf, at, _size, e) {
    buf.writeInt32BE(e.queueId, at);
    buf.writeDoubleBE(e.bornTimestamp, at + 4);
    let o = writeStr(buf, at + 12, e.tags);
    o = writeStr(buf, o, e.keys);
    buf.writeUInt16BE(e.props, o);
    o += 2;
    const p = e.properties;
    if (p) for (const k in p) o = writeStr(buf, writeStr(buf, o, k), p[k]);
    writeBody(buf, o, e);
  },
  sizeAt(buf, at) {
    let o = at + 12;
    o += 2 + buf.readUInt16BE(o); // tags
    o += 2 + buf.readUInt16BE(o); // keys
    const props = buf.readUInt16BE(o);
    o += 2;
    for (let i = 0; i < 2 * props; i++) o += 2 + buf.readUInt16BE(o);
    return o + 4 + buf.readUInt32BE(o) - at;
  },
  setQueue: (buf, at, queueId) => void buf.writeInt32BE(queueId, at),
};

/** Below this length an ASCII string is copied char by char: cheaper than a call into buf.write. */
const SHORT = 64;

/** A u16 length and the UTF-8 bytes of `s` (nothing for undefined or ""). */
function writeStr(buf: Buffer, o: number, s: string | undefined): number {
  const n = s === undefined ? 0 : s.length;
  if (n === 0) {
    buf.writeUInt16BE(0, o);
    return o + 2;
  }
  if (n <= SHORT) {
    let i = 0;
    for (; i < n; i++) {
      const c = s!.charCodeAt(i);
      if (c >= 0x80) break;
      buf[o + 2 + i] = c;
    }
    if (i === n) {
      buf.writeUInt16BE(n, o);
      return o + 2 + n;
    }
  }
  const w = buf.write(s!, o + 2, "utf8");
  buf.writeUInt16BE(w, o);
  return o + 2 + w;
}

export const wireNamed = (name: "RBB1" | "RBB2"): BatchWire => (name === "RBB2" ? RBB2 : RBB1);
