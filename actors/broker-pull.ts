// pull, with long polling (RocketMQ's PullRequestHoldService): a pull that
// finds nothing new is held until a message arrives in its queue or its
// wait ends. The store calls back synchronously after each append, so a
// held pull is answered within milliseconds of the send that fills it.
import { headers, type Msg } from "@nats-io/transport-node";
import {
  decodePull,
  encodeJson,
  ErrorCode,
  Header,
  parseObject,
  parseTagExpression,
  toEnvelope,
  PullStatus,
  RbusError,
  type PullReply,
  type PullRequest,
} from "../src/protocol/index.js";
import { GetStatus, tagHash, type GetResult } from "../src/store/index.js";
import { decodeRecord, recordPhysicalOffset } from "../src/store/record.js";
import type { BrokerContext } from "./broker-context.js";
import { corruptRecordError } from "./corrupt-record.js";
import { readFrom } from "./read-from.js";
import { limitExceeded } from "./limits.js";
import { fittingPrefix, tooLargeForReply } from "./reply-limits.js";
import { RawReply } from "./responder.js";
import { toWireMessage } from "./wire-message.js";

/** A pull held until a message lands at or after `offset` (or its wait ends). */
interface Hold {
  offset: number;
  wake: () => void;
}

/** Who holds a pull: its reply inbox less the last token (one NATS connection's request inbox). */
function clientOf(reply: string): string {
  const dot = reply.lastIndexOf(".");
  return dot > 0 ? reply.slice(0, dot) : reply;
}

export function pullHandler(ctx: BrokerContext) {
  const holds = new Map<string, Set<Hold>>();
  const holdKey = (topic: string, queueId: number) => `${topic}\u0000${queueId}`;
  const byClient = new Map<string, number>();
  let held = 0;
  const { limits, pacer } = ctx;

  const unsubscribe = ctx.store.onArrived((topic, queueId, maxOffset) => {
    const waiting = holds.get(holdKey(topic, queueId));
    if (!waiting) return;
    for (const h of waiting) if (h.offset < maxOffset) h.wake();
  });

  /** The broker-wide refusal, encoded once: a flood of pulls past the limit costs a reply each, no more. */
  let brokerFull: Uint8Array | undefined;
  /** Counts a hold for `client`; past the client's limit, the typed error; past the broker's, its encoded reply. */
  const admit = (client: string): Uint8Array | undefined => {
    if (held >= limits.maxHeldPulls) {
      return (brokerFull ??= encodeJson(toEnvelope(limitExceeded("maxHeldPulls", limits.maxHeldPulls, "as many pulls as allowed are held on this broker"))));
    }
    const mine = byClient.get(client) ?? 0;
    if (mine >= limits.maxHeldPullsPerClient) {
      throw limitExceeded("maxHeldPullsPerClient", limits.maxHeldPullsPerClient, `${mine} pulls are held for this client`, { client });
    }
    byClient.set(client, mine + 1);
    held++;
    return undefined;
  };
  const release = (client: string) => {
    held--;
    const mine = byClient.get(client)! - 1;
    if (mine === 0) byClient.delete(client);
    else byClient.set(client, mine);
  };

  /** Resolves when a message lands at or after `offset`, or after `waitMs`. */
  const hold = (req: PullRequest, client: string) =>
    new Promise<void>((resolve) => {
      const key = holdKey(req.topic, req.queueId);
      let set = holds.get(key);
      if (!set) holds.set(key, (set = new Set<Hold>()));
      const h: Hold = {
        offset: req.offset,
        wake: () => {
          ctx.clock.clear(timer);
          set.delete(h);
          if (set.size === 0) holds.delete(key);
          release(client);
          resolve();
        },
      };
      const timer = ctx.clock.set(h.wake, req.waitMs);
      set.add(h);
    });

  const read = (req: PullRequest, tagHashes: Set<bigint> | undefined): GetResult =>
    ctx.store.get(req.topic, req.queueId, req.offset, req.max, {
      ...(tagHashes ? { tagHashes } : {}),
      raw: req.format === "binary",
      maxBytes: ctx.replyBudget(),
    });

  /** Reads and builds the reply (counted against the reply bytes in flight); undefined: nothing yet, hold it. */
  const attempt = (req: PullRequest, tagHashes: Set<bigint> | undefined, mayHold: boolean): Uint8Array | RawReply | undefined => {
    const got = read(req, tagHashes);
    if (mayHold && isEmpty(got, req)) return undefined;
    const out = reply(ctx, req, got);
    pacer.spend(out instanceof RawReply ? out.data.byteLength : out.byteLength);
    return out;
  };

  /**
   * The reply last built after a hold, kept for the rest of this turn of the
   * event loop: pulls woken together by one append asking the same (usually
   * consumers of several groups at a queue's end) share one encoding.
   */
  let shared: { key: string; out: Uint8Array | RawReply } | undefined;
  const afterHold = (req: PullRequest, tagHashes: Set<bigint> | undefined): Uint8Array | RawReply => {
    const key = `${req.topic}\u0000${req.queueId}\u0000${req.offset}\u0000${req.max}\u0000${req.format}\u0000${req.tags ?? ""}`;
    if (shared?.key !== key) {
      const out = reply(ctx, req, read(req, tagHashes));
      if (!shared) setImmediate(() => (shared = undefined));
      shared = { key, out };
    }
    const out = shared.out;
    pacer.spend(out instanceof RawReply ? out.data.byteLength : out.byteLength);
    return out;
  };

  return {
    async pull(msg: Msg): Promise<Uint8Array | RawReply> {
      const req = decodePull(parseObject(msg.data));
      ctx.topics.forRead(req.topic, req.queueId);
      const tags = parseTagExpression(req.tags);
      const tagHashes = tags ? new Set(tags.map(tagHash)) : undefined;
      // a pull nobody waits for (no reply subject) is never held
      const mayHold = req.waitMs > 0 && !!msg.reply;
      // attempt() at once when replies have room, else in turn once the bus confirms what was sent
      const first = pacer.idle() ? attempt(req, tagHashes, mayHold) : await pacer.later(() => attempt(req, tagHashes, mayHold));
      if (first) return first;
      const client = clientOf(msg.reply!);
      const refused = admit(client);
      if (refused) return refused;
      await hold(req, client);
      return pacer.idle() ? afterHold(req, tagHashes) : pacer.later(() => afterHold(req, tagHashes));
    },
    /** Pulls held now, waiting for messages (in status). */
    held(): number {
      return held;
    },
    /** The most pulls one client holds now (in status). */
    heldTopClient(): number {
      let top = 0;
      for (const n of byClient.values()) if (n > top) top = n;
      return top;
    },
    /** Answers every held pull now (on shutdown). */
    releaseAll() {
      unsubscribe();
      for (const set of holds.values()) for (const h of set) h.wake();
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

function reply(ctx: BrokerContext, req: PullRequest, got: GetResult): Uint8Array | RawReply {
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
    return new RawReply(got.records.length === 1 ? first! : Buffer.concat(got.records), h);
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
  return data;
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
