// Coalesces sendAsync calls into send.batch requests: one open batch per
// lane (broker group × topic), closed when it holds maxMessages or maxBytes
// or when its linger has passed. Each broker group has its own pipe: at
// most maxInFlight of its batches wait for a reply, the rest queue in
// order behind them. A group that stops answering fills only its own pipe;
// the other groups' batches go on as before. When the producer shuts a
// group out, the batches queued for it (open or ready, not yet sent) are
// taken away and sent to another group instead (`shutOut`).
//
// The linger adapts to load, as Nagle's algorithm does: while none of a
// group's batches waits for a reply, a new batch closes as soon as the
// caller's current synchronous burst has been added (the next turn of the
// event loop), so a lone send pays no timer; while batches are in flight, a
// new batch fills until the group's last reply comes in (then it goes at
// once) or lingerMs passes. One timer per batch, one request per batch, one
// reply loop resolving every message's promise.
// The batcher knows nothing of NATS: `transport` sends a batch.
import { encodeMsgId, ErrorCode, RbusError, type BatchSendResult, type SendResult } from "../protocol/index.js";
import type { PreparedEntry } from "./producer-message.js";

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
export const DEFAULT_BATCH_LIMITS: Omit<BatchLimits, "maxQueuedMessages"> = {
  lingerMs: 1,
  maxMessages: 1024,
  maxBytes: 1 << 20,
  maxInFlight: 8,
};

/** Where a batch goes. The batcher keeps the lane's open batch on it. */
export interface Lane {
  readonly topic: string;
  readonly group: string;
  /** Its messages stay on their queues (ordered sends, pinned queue ids): no retry on another group. */
  readonly pinned: boolean;
  open: Batch | undefined;
}

/** One broker group's share of the in-flight limit, and its batches waiting for room. */
interface Pipe {
  inFlight: number;
  readonly ready: Batch[];
}

export class Batch {
  readonly entries: PreparedEntry[] = [];
  readonly resolves: Array<(r: SendResult) => void> = [];
  readonly rejects: Array<(e: unknown) => void> = [];
  /** Encoded size so far: the 8-byte RBB1 header plus each entry. */
  bytes = 8;
  timer: unknown;
  /** The pipe it was launched on, so its reply frees the slot it took. */
  pipe: Pipe | undefined;
  /** Changes only when shutOut moves the batch to another group before it is sent. */
  constructor(public lane: Lane) {}
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
  private readonly pipes = new Map<string, Pipe>();
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
   * or ready) is offered to `move`, which gives the batch its new lane
   * (after giving its messages that group's queues) or undefined to leave
   * it where it is (pinned messages). Returns how many batches moved.
   */
  shutOut(group: string, move: (b: Batch) => Lane | undefined): number {
    const pipe = this.pipes.get(group);
    const waiting = [...this.open].filter((b) => b.lane.group === group);
    if (pipe !== undefined) waiting.push(...pipe.ready);
    let moved = 0;
    for (const b of waiting) {
      const to = move(b);
      if (to === undefined || to.group === group) continue;
      if (this.open.delete(b)) {
        if (b.lane.open === b) b.lane.open = undefined;
        this.timers.clear(b.timer);
      } else {
        pipe!.ready.splice(pipe!.ready.indexOf(b), 1);
      }
      b.lane = to;
      this.dispatch(b);
      moved++;
    }
    return moved;
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
    b.timer = this.timers.set(() => this.close(b), this.pipe(lane.group).inFlight === 0 ? 0 : this.limits.lingerMs);
    return b;
  }

  private close(b: Batch): void {
    if (!this.open.delete(b)) return;
    if (b.lane.open === b) b.lane.open = undefined;
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
    const pipe = b.pipe!;
    pipe.inFlight--;
    this.queued -= n;
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
