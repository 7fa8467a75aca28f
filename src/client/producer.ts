// The producer: RocketMQ's DefaultMQProducer on NATS.
//
//   send        one request per message, awaits the broker's reply.
//   sendAsync   one promise per message, but messages travel in send.batch
//               requests per broker group, each carrying every topic bound
//               there (per group and topic with the RBB1 wire); see
//               batcher.ts. Retries move a batch's messages to other groups
//               (producer-batch-send.ts), and a group shut out by the fault
//               table loses its queued batches to the other groups.
//   sendBatch   RocketMQ's batch send: messages of one topic, one request,
//               stored all or none, in order, on one queue; one promise.
//
// Both retry by the same decisions (send-retry.ts; `deliver` for send,
// producer-batch-send.ts for batches): a replica that is not master names
// the master and the attempt goes there at once; a group with no master for now is retried after a route refresh,
// elsewhere when the message may move, until retryBudgetMs is spent. When
// no group has a master (all of them electing, as after a NATS restart),
// sendAsync still batches the message, on a masterless group's queue, and
// the batch waits on that path; a topic whose route no NameServer gives yet
// is asked for again within the same budget.
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
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { BadRequestError, encodeJson, ErrorCode, Header, RbusError, scopedApi, subjects, type ScopedApi, type SendResult, type TransactionAction, type TxEndResult } from "../protocol/index.js";
import { silentLogger, type Logger } from "../runtime/log.js";
import { decodeReply, natsError } from "../runtime/request.js";
import { Batcher, DEFAULT_BATCH_LIMITS, type BatchLimits, type Lane, type Timers } from "./batcher.js";
import { wireNamed, type BatchWire } from "./batcher-wire.js";
import { FaultTable, type FaultTableOptions } from "./fault-table.js";
import { BatchSender, MIN_ATTEMPT_MS } from "./producer-batch-send.js";
import { ReplyInbox } from "./producer-inbox.js";
import { blankEntry, check, prepare, sendHeaders, type Message, type PreparedEntry } from "./producer-message.js";
import type { SendBatchResult } from "./producer-results.js";
import { PublishRoutes, type TopicInfo } from "./producer-routes.js";
import { RoundRobin, type QueueSelector } from "./queue-selector.js";
import { RouteCache, type MessageQueue } from "./route-cache.js";
import { deadline, noMaster, noWritableQueue, retryStep, sleep, withAttempts } from "./send-retry.js";
import { travelsAlone } from "./producer-delay.js";
import { serveChecks, type CheckListener } from "./transaction-check.js";
import { halfAddress, sendApi, sendHalf, sendInTransaction, type HalfMessage, type LocalTransaction, type TransactionSendResult } from "./transaction-producer.js";

export type { Message } from "./producer-message.js";
export type { SendBatchResult } from "./producer-results.js";
export { selectByKey, type QueueSelector } from "./queue-selector.js";

export interface ProducerOptions {
  prefix?: string;
  /** Producer group (RocketMQ's producerGroup): names this producer in logs, and its half messages' check-backs. */
  group?: string;
  /** Answers the broker's checks of this group's unsettled half messages (docs/transactions.md). */
  checkListener?: CheckListener;
  /** Each attempt waits this long for the broker (ms). */
  sendTimeoutMs?: number;
  /**
   * A send (or batch) is retried until this long after it began (ms); the
   * default 10 000 carries it across a failover of a replicated group.
   */
  retryBudgetMs?: number;
  /** Attempts after the first, at most (default: as many as retryBudgetMs allows). */
  retries?: number;
  /** Body plus tags, keys and properties; larger messages are refused locally. */
  maxMessageBytes?: number;
  batch?: Partial<BatchLimits>;
  /**
   * send.batch's layout: "RBB2" (the default), the commit log's own records,
   * several topics a request; "RBB1", one topic a request, for brokers
   * without RBB2.
   */
  batchWire?: "RBB1" | "RBB2";
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

export { deadline, isRetriable } from "./send-retry.js";

/** One attempt of `deliver`: where it goes and how it is sent. */
interface Delivery<T> {
  topic: string;
  api: "send" | ScopedApi;
  /** Its messages stay on their queues: never moved to another group. */
  pinned: boolean;
  /** The group of the next attempt; `failed` is the group that just failed (undefined the first time). */
  group(info: TopicInfo, failed: string | undefined): string;
  request(subject: string, timeoutMs: number, deadline: number): Promise<T>;
}

const MiB = 1 << 20;
/** Room left in a NATS message for headers and the batch framing. */
const PAYLOAD_SLACK = 4096;

type State = "created" | "running" | "closing" | "closed";

/** sendAsync checks each message into this one object, which its batch encodes at once. */
const scratch = blankEntry();

export class Producer {
  readonly faults: FaultTable;
  readonly routes: RouteCache;
  readonly producerGroup: string;
  private readonly checkListener: CheckListener | undefined;
  private checks: Subscription | undefined;
  private readonly subj;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly retryBudgetMs: number;
  private readonly retries: number;
  private readonly maxMessageBytes: number;
  private readonly batchOptions: Partial<BatchLimits>;
  private readonly timers: Timers | undefined;
  private readonly rr = new RoundRobin();
  private readonly publish: PublishRoutes;
  private readonly wire: BatchWire;
  private readonly sender: BatchSender;
  /** Where the replies of send and send.batch come back. */
  private readonly inbox: ReplyInbox;
  /** sendAsync calls still waiting for a route. */
  private readonly routing = new Set<Promise<unknown>>();
  private batcher: Batcher | undefined;
  /** The message size limit: maxMessageBytes, or less when NATS's max_payload is smaller. */
  private limit = 0;
  private limitSource = "maxMessageBytes";
  /** Bytes one send.batch request may carry: NATS's max_payload, less room for headers. */
  private requestLimit = 0;
  private state: State = "created";

  constructor(
    private readonly nc: NatsConnection,
    opts: ProducerOptions = {},
  ) {
    this.subj = subjects(opts.prefix);
    this.producerGroup = opts.group ?? "DEFAULT_PRODUCER";
    this.checkListener = opts.checkListener;
    this.log = (opts.log ?? silentLogger).child({ producer: this.producerGroup });
    this.timeoutMs = opts.sendTimeoutMs ?? 3000;
    this.retryBudgetMs = opts.retryBudgetMs ?? 10_000;
    this.retries = opts.retries ?? Number.POSITIVE_INFINITY;
    this.maxMessageBytes = opts.maxMessageBytes ?? 4 * MiB;
    this.batchOptions = opts.batch ?? {};
    this.timers = opts.timers;
    this.faults = new FaultTable(opts.faults);
    this.inbox = new ReplyInbox(nc);
    this.routes = opts.routes ?? new RouteCache(nc, { prefix: opts.prefix, timeoutMs: this.timeoutMs });
    this.wire = wireNamed(opts.batchWire ?? "RBB2");
    this.publish = new PublishRoutes(this.routes, {
      refreshMs: opts.routeRefreshMs ?? 30_000,
      autoCreateRouteMs: opts.autoCreateRouteMs ?? 1000,
      log: this.log,
      perTopicLanes: this.wire.perTopic,
    });
    this.sender = new BatchSender({
      subj: this.subj,
      routes: this.routes,
      publish: this.publish,
      faults: this.faults,
      inbox: this.inbox,
      rr: this.rr,
      log: this.log,
      timeoutMs: this.timeoutMs,
      retryBudgetMs: this.retryBudgetMs,
      retries: this.retries,
      batcher: () => this.batcher!,
    });
  }

  async start(): Promise<this> {
    if (this.state !== "created") throw new Error(`producer is ${this.state}; start() once`);
    const maxPayload = this.nc.info?.max_payload ?? MiB;
    this.requestLimit = maxPayload - PAYLOAD_SLACK;
    this.limit = Math.min(this.maxMessageBytes, this.requestLimit);
    if (this.limit < this.maxMessageBytes) this.limitSource = `the NATS server's max_payload (${maxPayload})`;
    const o = this.batchOptions;
    const limits = { ...DEFAULT_BATCH_LIMITS, ...o };
    limits.maxBytes = Math.min(limits.maxBytes, maxPayload - PAYLOAD_SLACK);
    const maxQueuedMessages = o.maxQueuedMessages ?? 2 * limits.maxInFlight * limits.maxMessages;
    this.batcher = new Batcher({ ...limits, maxQueuedMessages }, this.sender.send, this.timers, this.wire);
    if (this.checkListener) this.checks = serveChecks(this.nc, this.subj, this.producerGroup, this.checkListener, this.log);
    this.state = "running";
    return this;
  }

  /** Sends what sendAsync still holds, waits for every answer, then refuses new sends. The connection stays open. */
  async close(): Promise<void> {
    await this.checks?.drain();
    this.checks = undefined;
    if (this.state !== "running") {
      this.state = "closed";
      return;
    }
    this.state = "closing";
    while (this.routing.size > 0) await Promise.allSettled([...this.routing]);
    await this.batcher!.flush();
    this.inbox.close();
    this.state = "closed";
  }

  /** Sends one message and waits for the broker to store it. */
  async send<A>(msg: Message, opts?: SendOptions<A>): Promise<SendResult> {
    this.running();
    const began = Date.now();
    const entry = prepare(msg, this.limit, began, this.limitSource);
    let queueId = -1;
    const info = await this.publish.getWithin(entry.topic, began + this.retryBudgetMs);
    return this.deliver(info, began, {
      topic: entry.topic,
      api: sendApi(msg),
      pinned: opts?.selector !== undefined || msg.queueId !== undefined,
      group: (info, failed) => {
        const q = this.pinnedQueue(info, entry, msg, opts) ?? this.nextQueue(info, failed);
        queueId = q.queueId;
        return q.group;
      },
      request: async (subject, timeout, dl) => {
        const h = sendHeaders(entry, queueId);
        h.set(Header.deadline, String(dl));
        return decodeReply<SendResult>(await this.inbox.request(subject, entry.body, timeout, h));
      },
    });
  }

  /**
   * Sends one message in a batch with others; the promise settles when the
   * broker answers the batch. The hot path: no route lookup, no timer and
   * no JSON per message. Check `writable` (or await `waitWritable()`)
   * between calls to keep memory bounded.
   */
  sendAsync<A>(msg: Message, opts?: SendOptions<A>): Promise<SendResult> {
    if (travelsAlone(msg)) return this.send(msg, opts); // a timed message travels alone: batches take no timers
    let entry: PreparedEntry;
    let batcher: Batcher;
    const now = Date.now();
    try {
      batcher = this.running();
      entry = check(msg, scratch, this.limit, now, this.limitSource, true);
    } catch (err) {
      return Promise.reject(err);
    }
    const info = this.publish.cached(entry.topic, now);
    if (info === undefined || opts !== undefined || entry.queueId >= 0) return this.sendAsyncSlow(batcher, prepare(msg, this.limit, now), now, msg, opts);
    const at = this.rr.next(info.queues, this.faults);
    if (at < 0) {
      try {
        return batcher.add(this.masterlessLane(info, entry), entry);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    entry.queueId = info.queues[at]!.queueId;
    return batcher.add(info.lanes[at]!, entry);
  }

  /**
   * Sends messages of one topic as one request, RocketMQ's batch send: the
   * broker stores all of them or none, in order, on one queue (a selector's,
   * the messages' queueId, or the next round-robin queue). One promise for
   * the batch. Refused before anything is sent, with BAD_REQUEST when the
   * topics (or pinned queue ids) differ or the list is empty, and with
   * MESSAGE_TOO_LARGE when the batch is larger than one request may be
   * (NATS's max_payload, less room for headers).
   * Retried as a sendAsync batch is (on another group's queue unless pinned).
   */
  async sendBatch<A>(messages: readonly Message[], opts?: SendOptions<A>): Promise<SendBatchResult> {
    const batcher = this.running();
    const first = messages[0];
    if (first === undefined) throw new BadRequestError("sendBatch needs at least one message");
    for (let i = 1; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.topic !== first.topic) throw new BadRequestError(`sendBatch takes messages of one topic: message ${i} is for "${m.topic}", message 0 for "${first.topic}"`);
      if (m.queueId !== first.queueId) throw new BadRequestError(`sendBatch stores on one queue: message ${i} asks for queue ${m.queueId}, message 0 for ${first.queueId}`);
    }
    const began = Date.now();
    const head = prepare(first, this.limit, began, this.limitSource);
    const info = await this.publish.getWithin(head.topic, began + this.retryBudgetMs);
    this.running();
    const b = batcher.whole(this.laneFor(info, head, first, opts));
    const max = this.requestLimit;
    let bytes = batcher.put(b, head);
    for (let i = 1; i < messages.length && bytes <= max; i++) {
      const e = check(messages[i]!, scratch, this.limit, began, this.limitSource, true);
      e.queueId = head.queueId;
      bytes = batcher.put(b, e);
    }
    if (bytes > max) {
      throw new RbusError(ErrorCode.MESSAGE_TOO_LARGE, `sendBatch of ${messages.length} messages takes more than one request may carry (${max} bytes, from the NATS server's max_payload)`, {
        messages: messages.length,
        limit: max,
      });
    }
    return batcher.submit(b);
  }

  /** Stores a half message, invisible to consumers until its handle's commit() (or a check-back's answer). */
  sendHalf(msg: Message): Promise<HalfMessage> {
    this.running();
    return sendHalf(this, msg);
  }

  /** RocketMQ's sendMessageInTransaction: the half, then `local`, whose answer commits or rolls it back. */
  sendMessageInTransaction(msg: Message, local: LocalTransaction): Promise<TransactionSendResult> {
    this.running();
    return sendInTransaction(this, msg, local);
  }

  /** tx.end on the master of the group that stored the half `msgId` (of `topic`), retried as a pinned send is. */
  async endTransaction(topic: string, msgId: string, action: TransactionAction, fromCheck?: boolean): Promise<TxEndResult> {
    this.running();
    const { group, commitLogOffset } = halfAddress(msgId);
    const began = Date.now();
    const info = await this.publish.getWithin(topic, began + this.retryBudgetMs);
    const body = encodeJson({ producerGroup: this.producerGroup, commitLogOffset, msgId, action, ...(fromCheck ? { fromCheck } : {}) });
    return this.deliver(info, began, {
      topic,
      api: scopedApi("tx.end", this.producerGroup),
      pinned: true,
      group: () => group,
      request: async (subject, timeout) => decodeReply<TxEndResult>(await this.inbox.request(subject, body, timeout)),
    });
  }

  /** Publishes without waiting: at-most-once. Resolves once handed to NATS, not when stored. */
  async sendOneway<A>(msg: Message, opts?: SendOptions<A>): Promise<void> {
    this.running();
    const entry = prepare(msg, this.limit, Date.now(), this.limitSource);
    const info = await this.publish.get(entry.topic);
    const q = this.pinnedQueue(info, entry, msg, opts) ?? this.nextQueue(info, undefined);
    const address = this.routes.master(info.route, q.group);
    if (!address) throw noMaster(entry.topic, q.group);
    this.nc.publish(this.subj.brokerApi(address, sendApi(msg)), entry.body, { headers: sendHeaders(entry, q.queueId) });
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
  private sendAsyncSlow<A>(batcher: Batcher, entry: PreparedEntry, began: number, msg: Message, opts?: SendOptions<A>): Promise<SendResult> {
    batcher.reserve();
    const routed = this.publish.getWithin(entry.topic, began + this.retryBudgetMs).then(
      (info) => {
        let lane: Lane;
        try {
          lane = this.laneFor(info, entry, msg, opts);
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

  /**
   * The one retry path of send and send.batch (see send-retry.ts): follow a
   * master a replica names at once; otherwise keep the group out, fetch the
   * route again and try another group (or, pinned or alone, the same one
   * after a backoff), until the time budget is spent.
   */
  private async deliver<T>(first: TopicInfo, began: number, d: Delivery<T>): Promise<T> {
    const endsAt = began + this.retryBudgetMs;
    const budget = { endsAt, retries: this.retries };
    const tried: string[] = [];
    let info = first;
    let group: string | undefined;
    let address: string | undefined;
    let failed: string | undefined;
    let follow: string | undefined;
    let hops = 0;
    let refreshes = 0;
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      let subject = `the master of ${group ?? d.topic}`;
      try {
        if (follow === undefined) {
          // Cleared first: choosing throws when the route has no master for the group now.
          group = address = undefined;
          group = d.group(info, failed);
          address = this.routes.master(info.route, group);
        } else address = follow;
        follow = undefined;
        if (!address) throw noMaster(d.topic, group!);
        subject = this.subj.brokerApi(address, d.api);
        const timeout = Math.min(this.timeoutMs, Math.max(MIN_ATTEMPT_MS, endsAt - started));
        const result = await d.request(subject, timeout, deadline(started, timeout));
        this.succeeded(info, group!, started);
        return result;
      } catch (err) {
        const e = natsError(err, subject);
        const chosen = group; // undefined: no group could be chosen; wait, and ask for the route again
        tried.push(chosen ?? "(none)");
        const hint = this.routes.masters.learn(e);
        const hintAddress = hint !== undefined && hint.group === chosen ? hint.address : undefined;
        const now = Date.now();
        const step = retryStep(e, { attempt, now, address, hintAddress, hops, refreshes }, budget);
        if (step.kind === "give-up") throw withAttempts(e, tried);
        if (step.kind === "master") {
          this.log.debug("not the master; following the master it named", { group, term: hint?.term, master: step.address });
          follow = step.address;
          hops++;
          continue;
        }
        hops = 0;
        const moves = chosen !== undefined && !d.pinned && info.queues.some((q) => q.group !== chosen);
        if (!moves) {
          refreshes++;
          const wait = step.backoffMs - (now - started);
          if (wait > 0) await sleep(wait);
        }
        info = chosen === undefined ? await this.publish.reload(info) : await this.failed(info, chosen, address);
        failed = chosen ?? failed;
      }
    }
  }

  /** The lane and queue (set on `entry`) of a message off the fast path: a selector's or pinned queue, else round-robin. */
  private laneFor<A>(info: TopicInfo, entry: PreparedEntry, msg: Message, opts?: SendOptions<A>): Lane {
    const pinned = this.pinnedQueue(info, entry, msg, opts);
    if (pinned !== undefined) {
      entry.queueId = pinned.queueId;
      return info.pinned.get(pinned.group)!;
    }
    const at = this.rr.next(info.queues, this.faults);
    if (at < 0) return this.masterlessLane(info, entry);
    entry.queueId = info.queues[at]!.queueId;
    return info.lanes[at]!;
  }

  /**
   * No group of the route has a master now: a queue of a group that has
   * none yet, so that the batch waits for one along the retry path (which
   * moves it to whichever group comes back first). Throws when the topic
   * is not writable at all.
   */
  private masterlessLane(info: TopicInfo, entry: PreparedEntry): Lane {
    const at = this.rr.next(info.masterless);
    if (at < 0) throw noWritableQueue(info);
    entry.queueId = info.masterless[at]!.queueId;
    return info.masterlessLanes[at]!;
  }

  private nextQueue(info: TopicInfo, avoid: string | undefined): MessageQueue {
    const at = this.rr.next(info.queues, this.faults, avoid);
    if (at < 0) throw noWritableQueue(info);
    return info.queues[at]!;
  }

  /** The queue a selector or a pinned queueId asks for, checked against the route; undefined for round-robin. */
  private pinnedQueue<A>(info: TopicInfo, entry: PreparedEntry, msg: Message, opts?: SendOptions<A>): MessageQueue | undefined {
    if (opts?.selector) {
      // With no master anywhere, the choice among all writable queues: the one it makes once every group is back.
      const queues = info.queues.length > 0 ? info.queues : info.masterless;
      const want = opts.selector(queues, msg, opts.arg as A);
      const q = queues.find((x) => x.group === want?.group && x.queueId === want.queueId);
      if (!q) throw new BadRequestError(`the selector chose ${JSON.stringify(want)}, which is not a writable queue of "${info.topic}"`);
      return q;
    }
    if (msg.queueId === undefined) return undefined;
    const group = opts?.group;
    const match = (x: MessageQueue) => x.queueId === msg.queueId && (group === undefined || x.group === group);
    // A queue whose group has no master for now (a failover) is still its queue: the send waits for the master.
    const q = info.queues.find(match) ?? info.masterless.find(match);
    if (q) return q;
    const known = (x: MessageQueue) => x.group === group;
    if (group !== undefined && !info.queues.some(known) && !info.masterless.some(known)) throw noMaster(info.topic, group);
    throw new BadRequestError(`topic "${info.topic}" has no writable queue ${msg.queueId}${group ? ` in group ${group}` : ""}`);
  }

  private succeeded(info: TopicInfo, group: string, started: number): void {
    const now = Date.now();
    this.faults.succeeded(group, now - started);
    this.publish.sent(info, now);
  }

  /**
   * After a retriable failure: keep the group out, fetch the route again at
   * once (or keep the old one if that fails). A route that names a new
   * master for the group lets it back in: the failure was the old master's.
   */
  private async failed(info: TopicInfo, group: string, address: string | undefined): Promise<TopicInfo> {
    this.faults.failed(group);
    this.routes.masters.forget(group, address);
    this.log.debug("send failed; group kept out", { topic: info.topic, group });
    this.sender.shutOut(group);
    const next = await this.publish.reload(info);
    const now = this.routes.master(next.route, group);
    if (now !== undefined && now !== address) this.faults.clear(group);
    return next;
  }
}
