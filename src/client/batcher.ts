// Coalesces sendAsync calls into send.batch requests: one open batch per
// lane (broker group × topic), closed when it holds maxMessages or maxBytes
// or when its linger has passed; at most maxInFlight
// batches wait for a reply, the rest queue in order.
//
// The linger adapts to load, as Nagle's algorithm does: while no batch is
// waiting for a reply, a new batch closes as soon as the caller's current
// synchronous burst has been added (the next turn of the event loop), so a
// lone send pays no timer; while batches are in flight, a new batch fills
// until the last reply comes in (then it goes at once) or lingerMs passes. One timer per batch,
// one request per batch, one reply loop resolving every message's promise.
// The batcher knows nothing of NATS: `transport` sends a batch.
import { encodeMsgId, ErrorCode, RbusError, type BatchSendResult, type SendResult } from "../protocol/index.js";
import type { PreparedEntry } from "./producer-message.js";

export interface BatchLimits {
  /** While batches are in flight, wait at most this long for more messages after a batch's first (ms). */
  lingerMs: number;
  maxMessages: number;
  /** Encoded send.batch bytes; one larger message still goes, alone. */
  maxBytes: number;
  /** Batches sent and not yet answered. */
  maxInFlight: number;
  /** Messages accepted and not yet answered before `writable` turns false. */
  maxQueuedMessages: number;
}

export const DEFAULT_BATCH_LIMITS: Omit<BatchLimits, "maxQueuedMessages"> = {
  lingerMs: 1,
  maxMessages: 256,
  maxBytes: 1 << 20,
  maxInFlight: 64,
};

/** Where a batch goes. The batcher keeps the lane's open batch on it. */
export interface Lane {
  readonly topic: string;
  readonly group: string;
  /** Its messages stay on their queues (ordered sends, pinned queue ids): no retry on another group. */
  readonly pinned: boolean;
  open: Batch | undefined;
}

export class Batch {
  readonly entries: PreparedEntry[] = [];
  readonly resolves: Array<(r: SendResult) => void> = [];
  readonly rejects: Array<(e: unknown) => void> = [];
  /** Encoded size so far: the 8-byte RBB1 header plus each entry. */
  bytes = 8;
  timer: unknown;
  constructor(readonly lane: Lane) {}
}

/** Sends one batch; resolves with the broker's reply, rejects when nothing of it was stored. */
export type Transport = (batch: Batch) => Promise<BatchSendResult>;

/** setTimeout/clearTimeout, replaceable so that tests move time by hand. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** The batch `enlist` adds the next promise to: one shared executor instead of a closure per message. */
let target: Batch;
const enlist = (resolve: (r: SendResult) => void, reject: (e: unknown) => void): void => {
  target.resolves.push(resolve);
  target.rejects.push(reject);
};

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
  private readonly ready: Batch[] = [];
  private inFlight = 0;
  /** Messages accepted and not yet answered. */
  private queued = 0;
  private wakeWritable: (() => void) | undefined;
  private writableWait: Promise<void> | undefined;
  private wakeIdle: (() => void) | undefined;
  private idleWait: Promise<void> | undefined;

  constructor(
    private readonly limits: BatchLimits,
    private readonly transport: Transport,
    private readonly timers: Timers = realTimers,
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

  /** Adds a message to its lane's open batch; the promise settles with the batch's reply. */
  add(lane: Lane, entry: PreparedEntry, reserved = false): Promise<SendResult> {
    let b = lane.open;
    if (b !== undefined && b.bytes + entry.wireBytes > this.limits.maxBytes) {
      this.close(b);
      b = undefined;
    }
    if (b === undefined) b = this.openBatch(lane);
    b.entries.push(entry);
    b.bytes += entry.wireBytes;
    if (!reserved) this.queued++;
    target = b;
    const p = new Promise<SendResult>(enlist);
    if (b.entries.length >= this.limits.maxMessages || b.bytes >= this.limits.maxBytes) this.close(b);
    return p;
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
    return { open: this.open.size, ready: this.ready.length, inFlight: this.inFlight, queued: this.queued };
  }

  /** Sends every open batch now and resolves when every batch has its answer. */
  flush(): Promise<void> {
    for (const b of [...this.open]) this.close(b);
    if (this.queued === 0) return Promise.resolve();
    return (this.idleWait ??= new Promise<void>((r) => (this.wakeIdle = r)));
  }

  private openBatch(lane: Lane): Batch {
    const b = new Batch(lane);
    lane.open = b;
    this.open.add(b);
    b.timer = this.timers.set(() => this.close(b), this.inFlight === 0 ? 0 : this.limits.lingerMs);
    return b;
  }

  private close(b: Batch): void {
    if (!this.open.delete(b)) return;
    if (b.lane.open === b) b.lane.open = undefined;
    this.timers.clear(b.timer);
    if (this.inFlight < this.limits.maxInFlight) this.launch(b);
    else this.ready.push(b);
  }

  private launch(b: Batch): void {
    this.inFlight++;
    let sent: Promise<BatchSendResult>;
    try {
      sent = this.transport(b);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (reply) => this.settle(b, reply, undefined),
      (err: unknown) => this.settle(b, undefined, err),
    );
  }

  private settle(b: Batch, reply: BatchSendResult | undefined, err: unknown): void {
    const n = b.entries.length;
    if (reply !== undefined && reply.queueIds?.length !== n) {
      err = new RbusError(ErrorCode.INTERNAL, `send.batch reply has ${reply.queueIds?.length} results for ${n} messages`);
      reply = undefined;
    }
    if (reply === undefined) {
      for (let i = 0; i < n; i++) b.rejects[i]!(err);
    } else {
      const { status, topic, group, queueIds, queueOffsets, commitLogOffsets } = reply;
      for (let i = 0; i < n; i++) {
        b.resolves[i]!({ status, msgId: encodeMsgId(group, commitLogOffsets[i]!), topic, queueId: queueIds[i]!, queueOffset: queueOffsets[i]! });
      }
    }
    this.inFlight--;
    this.queued -= n;
    const next = this.ready.shift();
    if (next !== undefined) this.launch(next);
    else if (this.inFlight === 0) for (const open of [...this.open]) this.close(open); // the pipe is free: stop lingering
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
