// The binary pull reply as a consumer reads it: offsets in headers, the
// commit-log records themselves as the payload (record.ts's layout). One
// pass per record straight into the message the listener gets: bounds
// checked as it goes, no intermediate stored-message object, and one topic
// string per run of records of the same topic (a reply is one queue's, so
// normally one string per reply). The broker checked each record's CRC
// when it read the log; here only the framing is checked.
import type { Msg } from "@nats-io/transport-node";
import { encodeMsgId, ErrorCode, Header, PullStatus, RbusError, setProperty, Prop } from "../protocol/index.js";
import { FIXED_BYTES, HEADER_BYTES, RECORD_MAGIC, readU64 } from "../store/record.js";
import type { ConsumedMessage, PullResult } from "./broker-client.js";
import { withRetryFields } from "./retry-fields.js";

const STATUSES = new Set<string>(Object.values(PullStatus));

export function decodeBinaryPull(msg: Msg, group: string): PullResult {
  const h = msg.headers;
  const status = h?.get(Header.status) ?? "";
  if (!STATUSES.has(status)) throw new RbusError(ErrorCode.INTERNAL, `pull reply with unknown status "${status}"`);
  const num = (name: string) => {
    const v = Number(h?.get(name));
    if (!Number.isSafeInteger(v)) throw new RbusError(ErrorCode.INTERNAL, `pull reply without a valid ${name} header`);
    return v;
  };
  const brokerGroup = h?.get(Header.group) || group;
  const data = msg.data;
  const result: PullResult = {
    status: status as PullStatus,
    nextOffset: num(Header.nextOffset),
    minOffset: num(Header.minOffset),
    maxOffset: num(Header.maxOffset),
    messages: decodeRecords(Buffer.from(data.buffer, data.byteOffset, data.byteLength), brokerGroup),
  };
  const readFrom = h?.get(Header.readFrom);
  if (readFrom) result.readFrom = readFrom;
  return result;
}

/** Every record of `buf`, in order; throws INTERNAL naming the byte where the framing breaks. */
export function decodeRecords(buf: Buffer, group: string): ConsumedMessage[] {
  const messages: ConsumedMessage[] = [];
  const bad = (at: number): never => {
    throw new RbusError(ErrorCode.INTERNAL, `malformed record at byte ${at} of a pull reply from ${group}`);
  };
  let topic = "";
  let topicAt = -1;
  let topicLen = -1;
  for (let at = 0; at < buf.length; ) {
    if (buf.length - at < FIXED_BYTES) bad(at);
    const size = buf.readUInt32BE(at);
    const end = at + size;
    if (buf.readUInt32BE(at + 4) !== RECORD_MAGIC || size < FIXED_BYTES || end > buf.length) bad(at);
    let o = at + HEADER_BYTES;
    // 11 topic: the previous record's string when the bytes are the same
    let len = buf.readUInt16BE(o);
    o += 2;
    if (o + len > end) bad(at);
    if (len !== topicLen || !sameBytes(buf, topicAt, o, len)) {
      topic = buf.toString("utf8", o, o + len);
      topicAt = o;
      topicLen = len;
    }
    o += len;
    // 12 tags, 13 keys
    if (o + 2 > end) bad(at);
    len = buf.readUInt16BE(o);
    if (o + 2 + len > end) bad(at);
    const tags = len === 0 ? "" : buf.toString("utf8", o + 2, o + 2 + len);
    o += 2 + len;
    if (o + 2 > end) bad(at);
    len = buf.readUInt16BE(o);
    if (o + 2 + len > end) bad(at);
    const keys = len === 0 ? "" : buf.toString("utf8", o + 2, o + 2 + len);
    o += 2 + len;
    // 14 properties
    if (o + 4 > end) bad(at);
    const propsEnd = o + 4 + buf.readUInt32BE(o);
    if (propsEnd + 4 > end) bad(at);
    const hasProperties = propsEnd > o + 4;
    o += 4;
    const properties: Record<string, string> = {};
    while (o < propsEnd) {
      if (o + 2 > propsEnd) bad(at);
      len = buf.readUInt16BE(o);
      const k = o + 2;
      o = k + len;
      if (o + 2 > propsEnd) bad(at);
      len = buf.readUInt16BE(o);
      if (o + 2 + len > propsEnd) bad(at);
      setProperty(properties, buf.toString("utf8", k, o), buf.toString("utf8", o + 2, o + 2 + len));
      o += 2 + len;
    }
    // 15 body: must end the record exactly
    const bodyLen = buf.readUInt32BE(o);
    if (o + 4 + bodyLen !== end) bad(at);
    const m: ConsumedMessage = {
      msgId: encodeMsgId(group, readU64(buf, at + 20)),
      topic,
      group,
      queueId: buf.readUInt32BE(at + 28),
      queueOffset: readU64(buf, at + 32),
      tags,
      keys,
      properties,
      bornAt: readU64(buf, at + 40),
      storedAt: readU64(buf, at + 48),
      body: buf.subarray(o + 4, end),
    };
    // a message handed back at least once: one lookup, only for records that carry properties
    if (hasProperties && properties[Prop.reconsumeTimes] !== undefined) withRetryFields(m);
    messages.push(m);
    at = end;
  }
  return messages;
}

/** Whether buf[a, a + len) and buf[b, b + len) hold the same bytes (topics are short: a loop beats a native call). */
function sameBytes(buf: Buffer, a: number, b: number, len: number): boolean {
  if (a < 0) return false;
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}
