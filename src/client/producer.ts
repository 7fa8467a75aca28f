// The producer: RocketMQ's DefaultMQProducer on NATS.
//
//   send        one request per message, awaits the broker's reply; retried
//               on another broker group (at most `retries` more times) when
//               the error says the group cannot take it now.
//   sendAsync   one promise per message, but messages travel in send.batch
//               requests per (group, topic); see batcher.ts. Retries move the
//               whole batch to another group, and a group shut out by the
//               fault table loses its queued batches to the other groups.
//
// Every send and send.batch carries its deadline (Rbus-Deadline): a broker
// that gets to it after the producer stopped waiting drops it unstored, so
// a retry elsewhere does not become a duplicate.
//   sendOneway  core NATS publish: at-most-once, nothing confirms it, and a
//               message published while disconnected is lost.
//
// Queue choice is round-robin over the topic's writable queues, skipping
// groups the fault table keeps out; a selector (or a pinned queueId) keeps a
// message on its queue instead: such sends are retried on that same queue
// only. After any failure the route is fetched again at once.
//
// Order: messages of one queue are stored in sendAsync call order as long
// as no batch is retried (a retried batch lands after later ones). For
// strict per-key order, await each send() with a selector.
import { headers, type NatsConnection } from "@nats-io/transport-node";
import {
  BadRequestError,
  encodeBatch,
  ErrorCode,
  Header,
  RbusError,
  subjects,
  type BatchSendResult,
  type SendResult,
} from "../protocol/index.js";
import { silentLogger, type Logger } from "../runtime/log.js";
import { decodeReply, natsError } from "../runtime/request.js";
import { Batcher, DEFAULT_BATCH_LIMITS, type Batch, type BatchLimits, type Lane, type Timers } from "./batcher.js";
import { FaultTable, type FaultTableOptions } from "./fault-table.js";
import { decodeBatchSendReply, prepare, sendHeaders, type Message, type PreparedEntry } from "./producer-message.js";
import { PublishRoutes, type TopicInfo } from "./producer-routes.js";
import { RoundRobin, type QueueSelector } from "./queue-selector.js";
import { brokerAddress, RouteCache, type MessageQueue } from "./route-cache.js";

export type { Message } from "./producer-message.js";
export { selectByKey, type QueueSelector } from "./queue-selector.js";

export interface ProducerOptions {
  prefix?: string;
  /** Producer group (RocketMQ's producerGroup): names this producer in logs. */
  group?: string;
  /** Each attempt waits this long for the broker (ms). */
  sendTimeoutMs?: number;
  /** Attempts after the first, each on another group when there is one. */
  retries?: number;
  /** Body plus tags, keys and properties; larger messages are refused locally. */
  maxMessageBytes?: number;
  batch?: Partial<BatchLimits>;
  /** Re-fetch a route after this long (RocketMQ's pollNameServerInterval). */
  routeRefreshMs?: number;
  /** Trust a route borrowed from TBW102 for this long. */
  autoCreateRouteMs?: number;
  faults?: FaultTableOptions;
  /** Share a route cache with other clients. */
  routes?: RouteCache;
  log?: Logger;
  /** For tests: the linger timers. */
  timers?: Timers;
}

export interface SendOptions<A = unknown> {
  /** Picks the queue (ordered messages); retries stay on the queue it picks. */
  selector?: QueueSelector<A>;
  arg?: A;
  /** With Message.queueId: the group whose queue it is (default: the first group that has it). */
  group?: string;
}

/** Errors that say "this group cannot take it now, another may". */
const RETRIABLE: ReadonlySet<string> = new Set([
  ErrorCode.NO_RESPONDERS,
  ErrorCode.TIMEOUT,
  ErrorCode.NOT_MASTER,
  ErrorCode.BROKER_BUSY,
  ErrorCode.FLUSH_TIMEOUT,
  // nothing was stored: the group's disk is full, another group may have room
  ErrorCode.DISK_FULL,
]);

export function isRetriable(err: unknown): boolean {
  return err instanceof RbusError && RETRIABLE.has(err.code);
}

const MiB = 1 << 20;
/** Room left in a NATS message for headers and the batch framing. */
const PAYLOAD_SLACK = 4096;

type State = "created" | "running" | "closing" | "closed";

export class Producer {
  readonly faults: FaultTable;
  readonly routes: RouteCache;
  private readonly subj;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly maxMessageBytes: number;
  private readonly batchOptions: Partial<BatchLimits>;
  private readonly timers: Timers | undefined;
  private readonly rr = new RoundRobin();
  private readonly publish: PublishRoutes;
  /** sendAsync calls still waiting for a route. */
  private readonly routing = new Set<Promise<unknown>>();
  private batcher: Batcher | undefined;
  /** The message size limit: maxMessageBytes, or less when NATS's max_payload is smaller. */
  private limit = 0;
  private limitSource = "maxMessageBytes";
  private state: State = "created";

  constructor(
    private readonly nc: NatsConnection,
    opts: ProducerOptions = {},
  ) {
    this.subj = subjects(opts.prefix);
    this.log = (opts.log ?? silentLogger).child({ producer: opts.group ?? "DEFAULT_PRODUCER" });
    this.timeoutMs = opts.sendTimeoutMs ?? 3000;
    this.retries = opts.retries ?? 2;
    this.maxMessageBytes = opts.maxMessageBytes ?? 4 * MiB;
    this.batchOptions = opts.batch ?? {};
    this.timers = opts.timers;
    this.faults = new FaultTable(opts.faults);
    this.routes = opts.routes ?? new RouteCache(nc, { prefix: opts.prefix, timeoutMs: this.timeoutMs });
    this.publish = new PublishRoutes(this.routes, {
      refreshMs: opts.routeRefreshMs ?? 30_000,
      autoCreateRouteMs: opts.autoCreateRouteMs ?? 1000,
      log: this.log,
    });
  }

  async start(): Promise<this> {
    if (this.state !== "created") throw new Error(`producer is ${this.state}; start() once`);
    const maxPayload = this.nc.info?.max_payload ?? MiB;
    this.limit = Math.min(this.maxMessageBytes, maxPayload - PAYLOAD_SLACK);
    if (this.limit < this.maxMessageBytes) this.limitSource = `the NATS server's max_payload (${maxPayload})`;
    const o = this.batchOptions;
    const limits = { ...DEFAULT_BATCH_LIMITS, ...o };
    limits.maxBytes = Math.min(limits.maxBytes, maxPayload - PAYLOAD_SLACK);
    const maxQueuedMessages = o.maxQueuedMessages ?? 2 * limits.maxInFlight * limits.maxMessages;
    this.batcher = new Batcher({ ...limits, maxQueuedMessages }, (b) => this.sendBatch(b), this.timers);
    this.state = "running";
    return this;
  }

  /** Sends what sendAsync still holds, waits for every answer, then refuses new sends. The connection stays open. */
  async close(): Promise<void> {
    if (this.state !== "running") {
      this.state = "closed";
      return;
    }
    this.state = "closing";
    while (this.routing.size > 0) await Promise.allSettled([...this.routing]);
    await this.batcher!.flush();
    this.state = "closed";
  }

  /** Sends one message and waits for the broker to store it. */
  async send<A>(msg: Message, opts?: SendOptions<A>): Promise<SendResult> {
    this.running();
    const entry = prepare(msg, this.limit, Date.now(), this.limitSource);
    let info = await this.publish.get(entry.topic);
    const tried: string[] = [];
    for (let attempt = 0; ; attempt++) {
      const q = this.pinnedQueue(info, entry, msg, opts) ?? this.nextQueue(info, tried[tried.length - 1]);
      const address = brokerAddress(info.route, q.group);
      const subject = address ? this.subj.brokerApi(address, "send") : `the master of ${q.group}`;
      const started = Date.now();
      try {
        if (!address) throw noMaster(entry.topic, q.group);
        const h = sendHeaders(entry, q.queueId);
        h.set(Header.deadline, String(deadline(started, this.timeoutMs)));
        const reply = await this.nc.request(subject, entry.body, { timeout: this.timeoutMs, headers: h });
        const result = decodeReply<SendResult>(reply);
        this.succeeded(info, q.group, started);
        return result;
      } catch (err) {
        const e = natsError(err, subject);
        tried.push(q.group);
        if (!isRetriable(e) || attempt >= this.retries) throw withAttempts(e, tried);
        info = await this.failed(info, q.group);
      }
    }
  }

  /**
   * Sends one message in a batch with others; the promise settles when the
   * broker answers the batch. The hot path: no route lookup, no timer and
   * no JSON per message. Check `writable` (or await `waitWritable()`)
   * between calls to keep memory bounded.
   */
  sendAsync<A>(msg: Message, opts?: SendOptions<A>): Promise<SendResult> {
    let entry: PreparedEntry;
    let batcher: Batcher;
    const now = Date.now();
    try {
      batcher = this.running();
      entry = prepare(msg, this.limit, now, this.limitSource);
    } catch (err) {
      return Promise.reject(err);
    }
    const info = this.publish.cached(entry.topic, now);
    if (info === undefined || opts !== undefined || entry.queueId >= 0) return this.sendAsyncSlow(batcher, entry, msg, opts);
    const at = this.rr.next(info.queues, this.faults);
    if (at < 0) return Promise.reject(noWritableQueue(info));
    entry.queueId = info.queues[at]!.queueId;
    return batcher.add(info.lanes[at]!, entry);
  }

  /** Publishes without waiting: at-most-once. Resolves once handed to NATS, not when stored. */
  async sendOneway<A>(msg: Message, opts?: SendOptions<A>): Promise<void> {
    this.running();
    const entry = prepare(msg, this.limit, Date.now(), this.limitSource);
    const info = await this.publish.get(entry.topic);
    const q = this.pinnedQueue(info, entry, msg, opts) ?? this.nextQueue(info, undefined);
    const address = brokerAddress(info.route, q.group);
    if (!address) throw noMaster(entry.topic, q.group);
    this.nc.publish(this.subj.brokerApi(address, "send"), entry.body, { headers: sendHeaders(entry, q.queueId) });
  }

  /** False while sendAsync holds its maximum of unanswered messages. */
  get writable(): boolean {
    return this.batcher?.writable ?? true;
  }

  /** Resolves when sendAsync may take more without growing memory. */
  waitWritable(): Promise<void> {
    return this.batcher?.waitWritable() ?? Promise.resolve();
  }

  stats() {
    return { batcher: this.batcher?.stats(), groups: this.batcher?.groups(), faults: this.faults.snapshot() };
  }

  private running(): Batcher {
    if (this.state !== "running") throw new Error(`producer is ${this.state}: ${this.state === "created" ? "call start() first" : "create a new one"}`);
    return this.batcher!;
  }

  /**
   * sendAsync for a topic without a route yet, a selector or a pinned queue.
   * The message counts against `writable` while its route loads, and close()
   * waits until it reaches the batcher.
   */
  private sendAsyncSlow<A>(batcher: Batcher, entry: PreparedEntry, msg: Message, opts?: SendOptions<A>): Promise<SendResult> {
    batcher.reserve();
    const routed = this.publish.get(entry.topic).then(
      (info) => {
        let lane: Lane;
        try {
          const pinned = this.pinnedQueue(info, entry, msg, opts);
          if (pinned !== undefined) {
            entry.queueId = pinned.queueId;
            lane = info.pinned.get(pinned.group)!;
          } else {
            const at = this.rr.next(info.queues, this.faults);
            if (at < 0) throw noWritableQueue(info);
            entry.queueId = info.queues[at]!.queueId;
            lane = info.lanes[at]!;
          }
        } catch (err) {
          batcher.unreserve();
          throw err;
        }
        return { sent: batcher.add(lane, entry, true) };
      },
      (err: unknown) => {
        batcher.unreserve();
        throw err;
      },
    );
    this.routing.add(routed);
    const done = () => void this.routing.delete(routed);
    routed.then(done, done);
    return routed.then((r) => r.sent);
  }

  /** The batcher's transport: one send.batch request, moved to another group on a retriable error. */
  private async sendBatch(batch: Batch): Promise<BatchSendResult> {
    const { topic, pinned } = batch.lane;
    let group = batch.lane.group;
    const tried: string[] = [];
    for (let attempt = 0; ; attempt++) {
      const info = this.publish.peek(topic)!;
      const address = brokerAddress(info.route, group);
      const subject = address ? this.subj.brokerApi(address, "send.batch") : `the master of ${group}`;
      const started = Date.now();
      try {
        if (!address) throw noMaster(topic, group);
        const h = headers();
        h.set(Header.topic, topic);
        h.set(Header.deadline, String(deadline(started, this.timeoutMs)));
        const reply = await this.nc.request(subject, encodeBatch(batch.entries), { timeout: this.timeoutMs, headers: h });
        const result = decodeBatchSendReply(reply);
        this.succeeded(info, group, started);
        return result;
      } catch (err) {
        const e = natsError(err, subject);
        tried.push(group);
        if (!isRetriable(e) || attempt >= this.retries) throw withAttempts(e, tried);
        const next = await this.failed(info, group);
        if (!pinned) group = this.moveBatch(batch.entries, next, group)?.group ?? group;
      }
    }
  }

  /** Gives a batch's messages the queues of another group (round-robin); returns that group's lane. */
  private moveBatch(entries: PreparedEntry[], info: TopicInfo, failed: string): Lane | undefined {
    const at = this.rr.next(info.queues, this.faults, failed);
    if (at < 0) return undefined;
    const lane = info.lanes[at]!;
    if (lane.group === failed) return undefined;
    const queues = info.queues.filter((q) => q.group === lane.group);
    for (let i = 0; i < entries.length; i++) entries[i]!.queueId = queues[(at + i) % queues.length]!.queueId;
    return lane;
  }

  /**
   * `group` was shut out: the batches queued for it and not sent yet go to
   * a group that is available now, so they neither wait for the stuck group
   * nor add to its backlog. Pinned batches stay (their order is their queue's).
   */
  private moveQueued(group: string): void {
    const moved = this.batcher?.shutOut(group, (b) => {
      if (b.lane.pinned) return undefined;
      const info = this.publish.peek(b.lane.topic);
      if (info === undefined) return undefined;
      const at = this.rr.next(info.queues, this.faults, group);
      if (at < 0 || !this.faults.isAvailable(info.queues[at]!.group)) return undefined;
      return this.moveBatch(b.entries, info, group);
    });
    if (moved) this.log.debug("queued batches moved off a group that was shut out", { group, batches: moved });
  }

  private nextQueue(info: TopicInfo, avoid: string | undefined): MessageQueue {
    const at = this.rr.next(info.queues, this.faults, avoid);
    if (at < 0) throw noWritableQueue(info);
    return info.queues[at]!;
  }

  /** The queue a selector or a pinned queueId asks for, checked against the route; undefined for round-robin. */
  private pinnedQueue<A>(info: TopicInfo, entry: PreparedEntry, msg: Message, opts?: SendOptions<A>): MessageQueue | undefined {
    if (opts?.selector) {
      const want = opts.selector(info.queues, msg, opts.arg as A);
      const q = info.queues.find((x) => x.group === want?.group && x.queueId === want.queueId);
      if (!q) throw new BadRequestError(`the selector chose ${JSON.stringify(want)}, which is not a writable queue of "${info.topic}"`);
      return q;
    }
    if (msg.queueId === undefined) return undefined;
    const group = opts?.group;
    const q = info.queues.find((x) => x.queueId === msg.queueId && (group === undefined || x.group === group));
    if (q) return q;
    if (group !== undefined && !info.queues.some((x) => x.group === group)) throw noMaster(info.topic, group);
    throw new BadRequestError(`topic "${info.topic}" has no writable queue ${msg.queueId}${group ? ` in group ${group}` : ""}`);
  }

  private succeeded(info: TopicInfo, group: string, started: number): void {
    const now = Date.now();
    this.faults.succeeded(group, now - started);
    this.publish.sent(info, now);
  }

  /** After a retriable failure: keep the group out, fetch the route again at once (or keep the old one if that fails). */
  private failed(info: TopicInfo, group: string): Promise<TopicInfo> {
    this.faults.failed(group);
    this.log.debug("send failed; group kept out", { topic: info.topic, group });
    this.moveQueued(group);
    return this.publish.reload(info);
  }
}

/** Time left for the reply to travel back: a broker that acts this close to the deadline would answer too late. */
const DEADLINE_MARGIN_MS = 250;

/**
 * The Rbus-Deadline of an attempt that started at `started` (ms since the
 * epoch): after it the broker drops the request instead of storing it,
 * because the producer has given up and may have sent it elsewhere.
 * Absolute, not a relative budget: a broker that was paused (SIGSTOP, a
 * long GC) finds the request in its socket buffer later and would start a
 * relative budget only then. The price is that it assumes the producer's
 * and the broker's clocks agree to well within the send timeout, as gRPC's
 * propagated deadlines do; a broker whose clock runs ahead refuses sends
 * with DEADLINE_EXCEEDED, which is not retried, so the skew shows.
 */
export function deadline(started: number, timeoutMs: number): number {
  return started + timeoutMs - Math.min(DEADLINE_MARGIN_MS, Math.floor(timeoutMs / 10));
}

function noMaster(topic: string, group: string): RbusError {
  return new RbusError(ErrorCode.NO_RESPONDERS, `broker group ${group} has no master for "${topic}" in the current route`);
}

/** No queue to write to: the topic is read-only (not retried), or no group has a master now (retried). */
function noWritableQueue(info: TopicInfo): RbusError {
  const writable = info.route.queues.filter((q) => q.perm === "rw" || q.perm === "w");
  if (writable.length === 0) return new RbusError(ErrorCode.NO_PERMISSION, `topic "${info.topic}" is not writable on any broker group`);
  return new RbusError(ErrorCode.NO_RESPONDERS, `no broker group serving "${info.topic}" has a master in the current route`);
}

/** The last error, saying where it was tried when that was more than once. */
function withAttempts(err: unknown, tried: string[]): unknown {
  if (!(err instanceof RbusError) || tried.length < 2) return err;
  return new RbusError(err.code, `${err.message} (${tried.length} attempts: ${tried.join(", ")})`);
}
