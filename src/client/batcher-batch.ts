// A batch of messages on its way to one broker group: the send.batch
// payload as it grows, each message's topic and the settlers of its promise,
// and what a retry carries when the messages move (split).
import { BATCH_HEADER, type BatchWire } from "./batcher-wire.js";
import type { SendResult } from "../protocol/index.js";

/** Where a batch goes. The batcher keeps the lane's open batch on it. */
export interface Lane {
  /** The one topic of its batches with a per-topic wire (RBB1); "" when batches carry any topic. */
  readonly topic: string;
  readonly group: string;
  /** Its messages stay on their queues (ordered sends, pinned queue ids): no retry on another group. */
  readonly pinned: boolean;
  open: Batch | undefined;
  /** Bytes of its last batch: the next one's buffer starts this large. */
  sizeHint: number;
}

/** Where a moved batch's messages of one topic go: a lane of another group and that group's queues of the topic. */
export interface Target {
  lane: Lane;
  queueIds: number[];
  /** The next of queueIds to give (taken modulo its length). */
  next: number;
}

/** One broker group's share of the in-flight limit, and its batches waiting for room. */
export interface Pipe {
  inFlight: number;
  readonly ready: Batch[];
}

export class Batch {
  /** The payload as it grows: the wire's header, then each message's bytes. */
  buf: Buffer;
  bytes = BATCH_HEADER;
  count = 0;
  /** Each message's topic, for its result and for moving it. */
  readonly topics: string[] = [];
  readonly resolves: Array<(r: SendResult) => void> = [];
  readonly rejects: Array<(e: unknown) => void> = [];
  /** A sendBatch: one promise for all its messages (resolves[0], rejects[0]), stored all on one queue. */
  whole = false;
  timer: unknown;
  /** The pipe it was launched on, so its reply frees the slot it took. */
  pipe: Pipe | undefined;
  /** When its first attempt began (ms since the epoch; 0 until then), kept when its messages move: the retry budget's start. */
  began = 0;
  /** Attempts so far, kept when its messages move. */
  attempts = 0;
  /** Groups tried so far, for the last error's message. */
  tried: string[] = [];
  /** Changes only when shutOut moves the batch to another group before it is sent. */
  constructor(
    public lane: Lane,
    capacity: number,
    magic: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, BATCH_HEADER));
    this.buf.writeUInt32BE(magic, 0);
  }

  /** The send.batch payload: a view of the buffer, not a copy. */
  payload(): Buffer {
    this.buf.writeUInt32BE(this.count, 4);
    return this.buf.subarray(0, this.bytes);
  }

  /** Room for `n` more bytes: the buffer doubles (copied) up to `max`, or to exactly what a large message needs. */
  reserve(n: number, max: number): void {
    const need = this.bytes + n;
    if (need <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need, Math.min(2 * this.buf.length, max)));
    this.buf.copy(grown, 0, 0, this.bytes);
    this.buf = grown;
  }
}

/**
 * A batch's messages in new batches for other groups: each topic's to the
 * lane and queues `route` gives (asked once per topic), the rest (a topic
 * with nowhere to go) to the batch's own lane with the queues they had. The
 * bytes are copied as encoded, with the new queue id; order, promises and
 * the retry budget go with them. A sendBatch's messages stay whole, all on
 * one queue. Undefined, and nothing made, when no topic can move.
 */
export function split(
  from: Batch,
  route: (topic: string) => Target | undefined,
  wire: BatchWire,
  limits: { maxMessages: number; maxBytes: number },
): Batch[] | undefined {
  const targets = new Map<string, Target | null>();
  let moves = false;
  for (const t of from.topics) {
    if (targets.has(t)) continue;
    const to = route(t);
    const ok = to !== undefined && to.queueIds.length > 0;
    targets.set(t, ok ? to : null);
    moves ||= ok;
  }
  if (!moves) return undefined;
  const into = new Map<Lane, Batch>();
  const done: Batch[] = [];
  const fresh = (lane: Lane) => {
    const b = new Batch(lane, from.bytes, wire.magic);
    b.whole = from.whole;
    b.began = from.began;
    b.attempts = from.attempts;
    b.tried = [...from.tried];
    into.set(lane, b);
    return b;
  };
  const { maxMessages, maxBytes } = limits;
  for (let i = 0, at = BATCH_HEADER; i < from.count; i++) {
    const size = wire.sizeAt(from.buf, at);
    const t = targets.get(from.topics[i]!)!;
    const lane = t === null ? from.lane : t.lane;
    let b = into.get(lane);
    if (b !== undefined && !b.whole && (b.count >= maxMessages || b.bytes + size > maxBytes)) {
      done.push(b);
      b = undefined;
    }
    b ??= fresh(lane);
    b.reserve(size, maxBytes);
    from.buf.copy(b.buf, b.bytes, at, at + size);
    if (t !== null) {
      wire.setQueue(b.buf, b.bytes, t.queueIds[t.next % t.queueIds.length]!);
      if (!from.whole) t.next++;
    }
    b.bytes += size;
    b.count++;
    b.topics.push(from.topics[i]!);
    if (!from.whole || i === 0) {
      b.resolves.push(from.resolves[i]!);
      b.rejects.push(from.rejects[i]!);
    }
    at += size;
  }
  for (const b of into.values()) done.push(b);
  return done;
}
