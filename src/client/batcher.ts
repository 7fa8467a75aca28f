// Coalesces sendAsync calls into send.batch requests: one open batch per
// lane (a broker group, and with the RBB1 wire a topic), closed when it
// holds maxMessages or maxBytes or when its linger has passed. A message is
// encoded into its batch's buffer as it is added (batcher-wire.ts); the
// batch keeps its bytes, its messages' topics and their promises' settlers,
// nothing else per message. Each broker group has its own pipe: at
// most maxInFlight of its batches wait for a reply, the rest queue in
// order behind them. A group that stops answering fills only its own pipe;
// the other groups' batches go on as before. When the producer shuts a
// group out, the batches queued for it (open or ready, not yet sent) are
// taken away and sent to another group instead (`shutOut`, `regroup`).
//
// The linger adapts to load, as Nagle's algorithm does: while none of a
// group's batches waits for a reply, a new batch closes as soon as the
// caller's current synchronous burst has been added (the next turn of the
// event loop), so a lone send pays no timer; while batches are in flight, a
// new batch fills until the group's last reply comes in (then it goes at
// once) or lingerMs passes. One timer per batch, one request per batch, one
// reply loop resolving every message's promise.
// The batcher knows nothing of NATS: `transport` sends a batch.
import { ErrorCode, RbusError, type BatchSendResult, type SendResult } from "../protocol/index.js";
import { Batch, split, type Lane, type Pipe, type Target } from "./batcher-batch.js";
import { BATCH_HEADER, RBB1, type BatchWire, type Outgoing } from "./batcher-wire.js";
import { BatchedSendResult, StoredBatch, type SendBatchResult } from "./producer-results.js";

export interface BatchLimits {
  /** While batches are in flight, wait at most this long for more messages after a batch's first (ms). */
  lingerMs: number;
  maxMessages: number;
  /** Encoded send.batch bytes; one larger message still goes, alone. */
  maxBytes: number;
  /** Batches sent and not yet answered, per broker group. */
  maxInFlight: number;
  /** Messages accepted and not yet answered before `writable` turns false. */
  maxQueuedMessages: number;
}

// Under load a batch's fixed costs (a request, a commit-log write, a reply,
// each a socket or file syscall) dominate at 256 small messages: 1024 per
// batch cuts the CPU per message of producer and broker by about a sixth.
// 8 in flight: every message outstanding keeps its entry and promise alive
// across young-generation collections, and copying them was the producer's
// largest cost; 8 × 1024 still keeps a broker busy. A lone send goes at once
// (the adaptive linger).
export { Batch, type Lane, type Target } from "./batcher-batch.js";

export const DEFAULT_BATCH_LIMITS: Omit<BatchLimits, "maxQueuedMessages"> = {
  lingerMs: 1,
  maxMessages: 1024,
  maxBytes: 1 << 20,
  maxInFlight: 8,
};

/**
 * Sends one batch; resolves with the broker's reply, or undefined when its
 * messages were moved to batches of other groups (`regroup`); rejects when
 * nothing of it was stored.
 */
export type Transport = (batch: Batch) => Promise<BatchSendResult | undefined>;

/** setTimeout/clearTimeout, replaceable so that tests move time by hand. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** The batch `enlist` adds the next promise to: one shared executor instead of a closure per message. */
let target: Batch;
const enlist = <T>(resolve: (r: T) => void, reject: (e: unknown) => void): void => {
  target.resolves.push(resolve as unknown as (r: SendResult) => void);
  target.rejects.push(reject);
};

/** A buffer never starts smaller than this (Buffer's pool serves it). */
const MIN_CAPACITY = 4096;

const realTimers: Timers = {
  // 0 ms: the next turn of the event loop (setTimeout would round it up to 1 ms).
  set: (fn, ms) => (ms <= 0 ? setImmediate(fn) : setTimeout(fn, ms)),
  clear: (h) => {
    clearTimeout(h as ReturnType<typeof setTimeout>);
    clearImmediate(h as ReturnType<typeof setImmediate>);
  },
};

export class Batcher {
  private readonly open = new Set<Batch>();
  private readonly pipes = new Map<string, Pipe>();
  /** Messages accepted and not yet answered. */
  private queued = 0;
  private wakeWritable: (() => void) | undefined;
  private writableWait: Promise<void> | undefined;
  private wakeIdle: (() => void) | undefined;
  private idleWait: Promise<void> | undefined;

  constructor(
    readonly limits: BatchLimits,
    private readonly transport: Transport,
    private readonly timers: Timers = realTimers,
    readonly wire: BatchWire = RBB1,
  ) {}

  /** Counts a message that will be added once its route is known, so that `writable` sees it. */
  reserve(): void {
    this.queued++;
  }

  /** A reserved message that will not be added after all. */
  unreserve(): void {
    this.queued--;
    this.wake();
  }

  /** Encodes a message into its lane's open batch; the promise settles with the batch's reply. */
  add(lane: Lane, e: Outgoing, reserved = false): Promise<SendResult> {
    const size = this.wire.size(e);
    let b = lane.open;
    if (b !== undefined && b.bytes + size > this.limits.maxBytes) {
      this.close(b);
      b = undefined;
    }
    if (b === undefined) b = this.openBatch(lane, size);
    this.append(b, e, size);
    if (!reserved) this.queued++;
    target = b;
    const p = new Promise<SendResult>(enlist);
    if (b.count >= this.limits.maxMessages || b.bytes >= this.limits.maxBytes) this.close(b);
    return p;
  }

  /**
   * A batch of its own for sendBatch, on `lane`'s group: `put` its messages,
   * then `submit` it. Never the lane's open batch, so it stays whole.
   */
  whole(lane: Lane): Batch {
    const b = new Batch(lane, MIN_CAPACITY, this.wire.magic);
    b.whole = true;
    return b;
  }

  /** Encodes one more message into a batch from whole(); returns its bytes so far. */
  put(b: Batch, e: Outgoing): number {
    this.append(b, e, this.wire.size(e));
    return b.bytes;
  }

  /** Sends a batch from whole(): one promise for all of it. Counts against `writable` like its messages one by one. */
  submit(b: Batch): Promise<SendBatchResult> {
    this.queued += b.count;
    target = b;
    const p = new Promise<SendBatchResult>(enlist);
    this.dispatch(b);
    return p;
  }

  private append(b: Batch, e: Outgoing, size: number): void {
    b.reserve(size, this.limits.maxBytes);
    this.wire.write(b.buf, b.bytes, size, e);
    b.bytes += size;
    b.count++;
    b.topics.push(e.topic);
  }

  /** False while maxQueuedMessages are waiting: the caller should await waitWritable(). */
  get writable(): boolean {
    return this.queued < this.limits.maxQueuedMessages;
  }

  /** Resolves once fewer than maxQueuedMessages are waiting (at once if that is so now). One shared promise. */
  waitWritable(): Promise<void> {
    if (this.writable) return Promise.resolve();
    return (this.writableWait ??= new Promise<void>((r) => (this.wakeWritable = r)));
  }

  stats(): { open: number; ready: number; inFlight: number; queued: number } {
    let ready = 0;
    let inFlight = 0;
    for (const p of this.pipes.values()) {
      ready += p.ready.length;
      inFlight += p.inFlight;
    }
    return { open: this.open.size, ready, inFlight, queued: this.queued };
  }

  /** Batches in flight and ready, per broker group. */
  groups(): Record<string, { inFlight: number; ready: number }> {
    // fromEntries defines keys: a group named "__proto__" is a key like any other
    return Object.fromEntries([...this.pipes].filter(([, p]) => p.inFlight > 0 || p.ready.length > 0).map(([g, p]) => [g, { inFlight: p.inFlight, ready: p.ready.length }]));
  }

  /**
   * The producer shut `group` out: each of its batches not sent yet (open
   * or ready) is offered to `move`, which moves its messages to other groups
   * (regroup) or leaves it where it is (pinned messages, nowhere to go) by
   * returning false. Returns how many batches moved.
   */
  shutOut(group: string, move: (b: Batch) => boolean): number {
    const pipe = this.pipes.get(group);
    const waiting = [...this.open].filter((b) => b.lane.group === group);
    if (pipe !== undefined) waiting.push(...pipe.ready);
    let moved = 0;
    for (const b of waiting) {
      // out of the open set first: regroup must not add to a batch it is emptying
      const wasOpen = this.open.delete(b);
      if (wasOpen && b.lane.open === b) b.lane.open = undefined;
      if (!move(b)) {
        if (wasOpen) {
          this.open.add(b);
          b.lane.open ??= b;
        }
        continue;
      }
      if (wasOpen) this.timers.clear(b.timer);
      else pipe!.ready.splice(pipe!.ready.indexOf(b), 1);
      moved++;
    }
    return moved;
  }

  /**
   * Moves a batch's messages to other groups (see split in
   * batcher-batch.ts) and sends the batches they now fill. False, and
   * nothing moved, when no topic of it has anywhere to go. The old batch is
   * left without obligations: its caller drops it.
   */
  regroup(from: Batch, route: (topic: string) => Target | undefined): boolean {
    const into = split(from, route, this.wire, this.limits);
    if (into === undefined) return false;
    for (const b of into) this.dispatch(b);
    return true;
  }

  /** Sends every open batch now and resolves when every batch has its answer. */
  flush(): Promise<void> {
    for (const b of [...this.open]) this.close(b);
    if (this.queued === 0) return Promise.resolve();
    return (this.idleWait ??= new Promise<void>((r) => (this.wakeIdle = r)));
  }

  private openBatch(lane: Lane, first: number): Batch {
    const capacity = Math.min(this.limits.maxBytes, Math.max(MIN_CAPACITY, lane.sizeHint, BATCH_HEADER + first));
    const b = new Batch(lane, capacity, this.wire.magic);
    lane.open = b;
    this.open.add(b);
    b.timer = this.timers.set(() => this.close(b), this.pipe(lane.group).inFlight === 0 ? 0 : this.limits.lingerMs);
    return b;
  }

  private close(b: Batch): void {
    if (!this.open.delete(b)) return;
    if (b.lane.open === b) b.lane.open = undefined;
    b.lane.sizeHint = b.bytes;
    this.timers.clear(b.timer);
    this.dispatch(b);
  }

  private pipe(group: string): Pipe {
    let p = this.pipes.get(group);
    if (p === undefined) {
      p = { inFlight: 0, ready: [] };
      this.pipes.set(group, p);
    }
    return p;
  }

  /** Sends a closed batch now if its group's pipe has room, else queues it there. */
  private dispatch(b: Batch): void {
    const pipe = this.pipe(b.lane.group);
    if (pipe.inFlight < this.limits.maxInFlight) this.launch(b, pipe);
    else pipe.ready.push(b);
  }

  private launch(b: Batch, pipe: Pipe): void {
    b.pipe = pipe;
    pipe.inFlight++;
    let sent: Promise<BatchSendResult | undefined>;
    try {
      sent = this.transport(b);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (reply) => this.settle(b, reply, undefined, reply === undefined),
      (err: unknown) => this.settle(b, undefined, err),
    );
  }

  /** A reply, an error, or undefined for both: the batch's messages moved to other batches (regroup). */
  private settle(b: Batch, reply: BatchSendResult | undefined, err: unknown, moved = false): void {
    const n = b.count;
    if (reply !== undefined && reply.queueIds?.length !== n) {
      err = new RbusError(ErrorCode.INTERNAL, `send.batch reply has ${reply.queueIds?.length} results for ${n} messages`);
      reply = undefined;
    }
    if (moved) {
      // its messages are counted, and will be settled, in the batches they moved to
    } else if (reply === undefined) {
      for (let i = 0; i < b.rejects.length; i++) b.rejects[i]!(err);
    } else if (b.whole) {
      const { status, group, queueIds, queueOffsets, commitLogOffsets } = reply;
      (b.resolves[0] as unknown as (r: SendBatchResult) => void)(new StoredBatch(status, b.topics[0]!, group, queueIds[0]!, queueOffsets, commitLogOffsets));
    } else {
      const { status, group, queueIds, queueOffsets, commitLogOffsets } = reply;
      const topics = b.topics;
      for (let i = 0; i < n; i++) {
        b.resolves[i]!(new BatchedSendResult(status, topics[i]!, queueIds[i]!, queueOffsets[i]!, group, commitLogOffsets[i]!));
      }
    }
    const pipe = b.pipe!;
    pipe.inFlight--;
    if (!moved) this.queued -= n;
    const next = pipe.ready.shift();
    if (next !== undefined) this.launch(next, pipe);
    else if (pipe.inFlight === 0) {
      // The group's pipe is free: its lingering batches go now.
      for (const open of [...this.open]) if (open.lane.group === b.lane.group) this.close(open);
    }
    this.wake();
  }

  private wake(): void {
    if (this.wakeWritable !== undefined && this.writable) {
      const wake = this.wakeWritable;
      this.wakeWritable = this.writableWait = undefined;
      wake();
    }
    if (this.wakeIdle !== undefined && this.queued === 0) {
      const wake = this.wakeIdle;
      this.wakeIdle = this.idleWait = undefined;
      wake();
    }
  }
}
