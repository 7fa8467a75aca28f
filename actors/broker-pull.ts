// pull, with long polling (RocketMQ's PullRequestHoldService): a pull that
// finds nothing new is held until a message arrives in its queue or its
// wait ends. The store calls back synchronously after each append, so a
// held pull is answered within milliseconds of the send that fills it.
// Holds are capped and kept small (pull-holds.ts); replies built from
// stored messages go through the reply pacer (reply-pacer.ts), so one
// append waking thousands of pulls never builds all their replies at once.
import { headers, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import {
  decodePull,
  encodeJson,
  ErrorCode,
  Header,
  parseObject,
  parseTagExpression,
  PullStatus,
  RbusError,
  type PullReply,
  type PullRequest,
} from "../src/protocol/index.js";
import { GetStatus, tagHash, type GetResult } from "../src/store/index.js";
import { decodeRecord, recordPhysicalOffset } from "../src/store/record.js";
import type { BrokerContext } from "./broker-context.js";
import { corruptRecordError } from "./corrupt-record.js";
import type { EndpointStats } from "./endpoint-stats.js";
import { readFrom } from "./read-from.js";
import { PullHolds, type Hold } from "./pull-holds.js";
import { fittingPrefix, tooLargeForReply } from "./reply-limits.js";
import { RawReply, reply as sendReply, replyError } from "./responder.js";
import { toWireMessage } from "./wire-message.js";

/** How a held pull is answered: the reply subject it kept, published to directly. */
type Publish = (subject: string, data: Uint8Array, opts?: { headers?: MsgHdrs }) => void;

export function pullHandler(ctx: BrokerContext) {
  const { pacer, log } = ctx;
  let publish: Publish | undefined;
  let subject = "";
  const holds = new PullHolds(ctx.clock, ctx.limits, (h) => {
    if (pacer.idle()) answerHeld(h);
    else void pacer.later(() => answerHeld(h));
  });
  /** A reply about to leave: paced, and counted for rbus.metrics. */
  const spent = ({ out, messages }: Built): Uint8Array | RawReply => {
    const bytes = out instanceof RawReply ? out.data.byteLength : out.byteLength;
    pacer.spend(bytes);
    ctx.counters.pulled(messages, bytes);
    return out;
  };
  const unsubscribe = ctx.store.onArrived((topic, queueId, maxOffset) => holds.arrived(topic, queueId, maxOffset));

  const read = (req: PullRequest, tagHashes: Set<bigint> | undefined): GetResult =>
    ctx.store.get(req.topic, req.queueId, req.offset, req.max, {
      ...(tagHashes ? { tagHashes } : {}),
      raw: req.format === "binary",
      maxBytes: ctx.replyBudget(),
    });

  /**
   * The reply last built after a hold, kept for the rest of this turn of the
   * event loop: pulls woken together by one append asking the same (usually
   * consumers of several groups at a queue's end) share one encoding.
   */
  let shared: { key: string; built: Built } | undefined;
  const afterHold = (req: PullRequest, tagHashes: Set<bigint> | undefined): Uint8Array | RawReply => {
    const key = `${req.topic}\u0000${req.queueId}\u0000${req.offset}\u0000${req.max}\u0000${req.format}\u0000${req.tags ?? ""}`;
    if (shared?.key !== key) {
      const built = reply(ctx, req, read(req, tagHashes));
      if (!shared) setImmediate(() => (shared = undefined));
      shared = { key, built };
    }
    return spent(shared.built);
  };

  /** Answers a woken hold on the reply subject it kept (the request message is long gone). */
  const answerHeld = (h: Hold): void => {
    const to = h.reply;
    const target = { subject, reply: to, respond: (data: Uint8Array, opts?: { headers?: MsgHdrs }) => (publish!(to, data, opts), true) } as unknown as Msg;
    try {
      sendReply(target, afterHold(h.req, h.tagHashes), log);
    } catch (err) {
      replyError(target, err, log);
    }
  };

  /** Reads; replies, or holds the pull when it found nothing new and may wait. Replies itself, never throws. */
  const first = (msg: Msg, req: PullRequest, tagHashes: Set<bigint> | undefined): void => {
    try {
      // a pull nobody waits for (no reply subject) is never held
      const mayHold = req.waitMs > 0 && !!msg.reply;
      const got = read(req, tagHashes);
      if (mayHold && isEmpty(got, req)) {
        const refused = holds.hold(req, tagHashes, msg.reply!);
        if (refused) sendReply(msg, refused, log);
        return;
      }
      sendReply(msg, spent(reply(ctx, req, got)), log);
    } catch (err) {
      replyError(msg, err, log);
    }
  };

  const onPull = (msg: Msg): void => {
    let req: PullRequest;
    let tagHashes: Set<bigint> | undefined;
    try {
      req = decodePull(parseObject(msg.data));
      ctx.topics.forRead(req.topic, req.queueId);
      if (ctx.store.subgroups.get(req.group)?.consumeEnable === false) {
        throw new RbusError(ErrorCode.NO_PERMISSION, `consumer group "${req.group}" may not consume: its settings say consumeEnable false (subgroup.upsert)`);
      }
      const tags = parseTagExpression(req.tags);
      tagHashes = tags ? new Set(tags.map(tagHash)) : undefined;
    } catch (err) {
      return replyError(msg, err, log);
    }
    // at once when replies have room, else in turn once the bus confirms what was sent
    if (pacer.idle()) first(msg, req, tagHashes);
    else void pacer.later(() => first(msg, req, tagHashes));
  };

  return {
    /**
     * Serves pull on `subj`: replies as serve() does, but a held pull keeps
     * only its reply subject. `stats` counts pulls and the time to answer or
     * hold each (not the hold itself).
     */
    serve(nc: NatsConnection, subj: string, stats?: EndpointStats): Subscription {
      publish = (to, data, opts) => nc.publish(to, data, opts);
      subject = subj;
      return nc.subscribe(subj, {
        callback: (err, msg) => {
          if (err) return log.warn("subscription error", { subject: subj, error: err.message });
          const t0 = stats ? performance.now() : 0;
          onPull(msg);
          stats?.done(t0);
        },
      });
    },
    /** Pulls held now, waiting for messages (in status). */
    held: () => holds.held(),
    /** The most pulls one client holds now (in status). */
    heldTopClient: () => holds.topClient(),
    /** Answers every held pull now (on shutdown). */
    releaseAll() {
      unsubscribe();
      holds.releaseAll();
    },
  };
}

function isEmpty(got: GetResult, req: PullRequest): boolean {
  return got.status === GetStatus.NO_NEW_MSG || (got.status === GetStatus.NO_MESSAGE_IN_QUEUE && req.offset === 0);
}

function status(got: GetResult, req: PullRequest): PullStatus {
  switch (got.status) {
    case GetStatus.FOUND:
      return PullStatus.FOUND;
    case GetStatus.NO_MATCHED_MSG:
      return PullStatus.NO_MATCHED_MSG;
    case GetStatus.OFFSET_TOO_SMALL:
      return PullStatus.OFFSET_MOVED;
    case GetStatus.NO_NEW_MSG:
      return PullStatus.NO_NEW_MSG;
    case GetStatus.CORRUPT_RECORD:
      // the consumer reports it and resumes at details.nextOffset: never a silent skip
      throw corruptRecordError(got.corrupt!);
  }
  if (isEmpty(got, req)) return PullStatus.NO_NEW_MSG;
  // Past the end: a consumer with a stale offset resets from offset.query.
  throw new RbusError(
    ErrorCode.OFFSET_OUT_OF_RANGE,
    `offset ${req.offset} is past the end of ${req.topic}/${req.queueId} (next offset ${got.maxOffset})`,
  );
}

/** JSON fields of a pull reply besides its messages, with room to spare. */
const PULL_REPLY_FIELDS = 256;

/** A pull reply and how many messages it carries. */
interface Built {
  out: Uint8Array | RawReply;
  messages: number;
}

function reply(ctx: BrokerContext, req: PullRequest, got: GetResult): Built {
  const s = status(got, req);
  const budget = ctx.replyBudget();
  let nextOffset = s === PullStatus.NO_NEW_MSG ? req.offset : got.nextOffset;
  const moveTo = readFrom(ctx, ...readSpan(ctx, got));
  if (req.format === "binary") {
    const first = got.records[0];
    // The store returns at least one record even past maxBytes: alone, it may still not fit.
    if (first && first.length > budget) throw recordTooLarge(req, decodeRecord(first, 0), first.length, budget);
    const h = headers();
    h.set(Header.status, s);
    h.set(Header.nextOffset, String(nextOffset));
    h.set(Header.minOffset, String(got.minOffset));
    h.set(Header.maxOffset, String(got.maxOffset));
    h.set(Header.group, ctx.group);
    if (moveTo) h.set(Header.readFrom, moveTo);
    return { out: new RawReply(joined(got.records), h), messages: got.records.length };
  }
  let messages = got.messages.map((m) => toWireMessage(ctx.group, m));
  const body = (): PullReply => ({ status: s, nextOffset, minOffset: got.minOffset, maxOffset: got.maxOffset, messages, ...(moveTo ? { readFrom: moveTo } : {}) });
  let data = encodeJson(body());
  if (data.byteLength > budget) {
    // Escaped or base64 bodies grow in JSON: keep the messages that fit, the next pull gets the rest.
    const n = fittingPrefix(messages, budget - PULL_REPLY_FIELDS);
    const cut = got.messages[n]!;
    if (n === 0) throw recordTooLarge(req, cut, Buffer.byteLength(JSON.stringify(messages[0])), budget);
    messages = messages.slice(0, n);
    nextOffset = cut.queueOffset;
    data = encodeJson(body());
  }
  return { out: data, messages: messages.length };
}

/** The records as one buffer: a view when they lie end to end in one (a store read copies them out so), else a copy. */
function joined(records: Buffer[]): Buffer {
  const first = records[0];
  if (!first || records.length === 1) return first ?? Buffer.alloc(0);
  let end = first.byteOffset + first.length;
  for (let i = 1; i < records.length; i++) {
    const r = records[i]!;
    if (r.buffer !== first.buffer || r.byteOffset !== end) return Buffer.concat(records);
    end += r.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

/** Where the records a read returned start and end in the commit log (the log end for an empty read). */
function readSpan(ctx: BrokerContext, got: GetResult): [number, number] {
  const end = ctx.store.maxPhysicalOffset;
  const { records, messages } = got;
  if (records.length > 0) {
    const last = records.at(-1)!;
    return [recordPhysicalOffset(records[0]!, 0), recordPhysicalOffset(last, 0) + last.length];
  }
  if (messages.length > 0) {
    const last = messages.at(-1)!;
    return [messages[0]!.commitLogOffset, last.commitLogOffset + last.size];
  }
  return [end, end];
}

function recordTooLarge(req: PullRequest, m: { queueOffset: number; commitLogOffset: number }, bytes: number, budget: number) {
  return tooLargeForReply(`message ${req.topic}/${req.queueId}@${m.queueOffset}`, bytes, budget, {
    topic: req.topic,
    queueId: req.queueId,
    queueOffset: m.queueOffset,
    commitLogOffset: m.commitLogOffset,
    nextOffset: m.queueOffset + 1,
  });
}
