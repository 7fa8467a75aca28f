// The rebuild's log scan: every record from `from` to the log's end that
// carries TIMER_QUEUE_OFFSET is a delivery the timer service (this replica
// or an earlier master) made, whichever topic it went to. Reads the log
// in chunks, decoding only the property names of records that have any,
// and yields to the event loop between chunks.
import { Prop, TIMER_TOPIC } from "../src/protocol/system-topics.js";
import type { MessageStore } from "../src/store/index.js";
import { HEADER_BYTES, recordSize } from "../src/store/record.js";

const CHUNK = 4 << 20;
const NAME = Buffer.from(Prop.timerQueueOffset, "latin1");
const TIMER = Buffer.from(TIMER_TOPIC, "latin1");

export interface ScanOutcome {
  /** Where the scan stopped: the log's end when it began. */
  end: number;
  records: number;
  deliveries: number;
  /** Records that failed their checks (stepped over). */
  damaged: number;
}

/**
 * Where the value of the record's first property that `match` takes (by
 * its name's position and length) is: the offset of the value's u16
 * length, or -1. For records a walk or a read has checked.
 */
export function findProperty(buf: Buffer, at: number, match: (nameAt: number, nameLen: number) => boolean): number {
  let o = at + HEADER_BYTES;
  o += 2 + buf.readUInt16BE(o); // topic
  o += 2 + buf.readUInt16BE(o); // tags
  o += 2 + buf.readUInt16BE(o); // keys
  const end = o + 4 + buf.readUInt32BE(o);
  o += 4;
  while (o < end) {
    const nameLen = buf.readUInt16BE(o);
    const valueAt = o + 2 + nameLen;
    if (match(o + 2, nameLen)) return valueAt;
    o = valueAt + 2 + buf.readUInt16BE(valueAt);
  }
  return -1;
}

// the buffer isMark compares in: one matcher for every record of a scan, not a closure per record
const EMPTY = Buffer.alloc(0);
let scanned: Buffer = EMPTY;
const isMark = (nameAt: number, nameLen: number) => nameLen === NAME.length && scanned.compare(NAME, 0, NAME.length, nameAt, nameAt + nameLen) === 0;

/** The TIMER_QUEUE_OFFSET of the record at `at`, or -1 (none, or the record is itself in the timer topic). */
export function deliveredOffset(buf: Buffer, at: number): number {
  const topicAt = at + HEADER_BYTES;
  const topicLen = buf.readUInt16BE(topicAt);
  if (topicLen === TIMER.length && buf.compare(TIMER, 0, TIMER.length, topicAt + 2, topicAt + 2 + topicLen) === 0) return -1;
  scanned = buf;
  const valueAt = findProperty(buf, at, isMark);
  if (valueAt < 0) return -1;
  const n = Number(buf.toString("latin1", valueAt + 2, valueAt + 2 + buf.readUInt16BE(valueAt)));
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

/** Calls `delivered` with each delivery's timer-queue offset found in [from, the log's end now). */
export async function scanDeliveries(store: MessageStore, from: number, delivered: (offset: number) => void, stopped: () => boolean): Promise<ScanOutcome> {
  const end = store.maxPhysicalOffset;
  const out: ScanOutcome = { end, records: 0, deliveries: 0, damaged: 0 };
  let pos = Math.max(from, store.minPhysicalOffset);
  while (pos < end && !stopped()) {
    const got = store.readRawChecked(pos, CHUNK);
    const bytes = got.bytes;
    if (bytes.length === 0) break;
    if (got.corrupt) {
      out.damaged++;
      pos = got.offset + Math.max(got.corrupt.size, 1);
      continue;
    }
    let at = 0;
    while (at < bytes.length) {
      const size = recordSize(bytes, at);
      if (size <= 0 || at + size > bytes.length) break;
      out.records++;
      const k = deliveredOffset(bytes, at);
      if (k >= 0) {
        out.deliveries++;
        delivered(k);
      }
      at += size;
    }
    pos = got.offset + at;
    // a chunk of a few MiB at a time: pulls and sends are served between them
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  scanned = EMPTY; // the last chunk (4 MiB) is not kept alive after the scan
  return out;
}
