// The broker's management APIs: topics, message lookup, status, and the
// consumer membership heartbeat.
import type { Msg } from "@nats-io/transport-node";
import {
  decodeClientHeartbeat,
  decodeMsgId,
  decodeTopicConfig,
  encodeJson,
  ErrorCode,
  name,
  topicName,
  optInt,
  parseObject,
  RbusError,
  str,
  type ConsumerMembers,
  type ErrorDetails,
  type Json,
  type TopicConfig,
  type WireMessage,
} from "../src/protocol/index.js";
import { LookupStatus } from "../src/store/index.js";
import { scopedGroup } from "./group-scope.js";
import { assertMaster, type BrokerContext } from "./broker-context.js";
import { corruptDetails, corruptRecordError } from "./corrupt-record.js";
import type { ConsumerTable } from "./consumer-table.js";
import { fittingPrefix, tooLargeForReply } from "./reply-limits.js";
import { toWireMessage } from "./wire-message.js";

/** The newest messages that fit one reply; a lone one too big for any reply is a typed error. */
interface MessageLookupReply {
  messages: WireMessage[];
  /** More matched than one reply carries: these are the newest. */
  truncated?: true;
  /** Records the key index points at that fail their checks (their offsets, for an operator). */
  corrupt?: ErrorDetails[];
}

/**
 * The reply, encoded once; when it is larger than a reply may be, the
 * newest messages that fit (a lone one too big for any reply is a typed error).
 */
function fitted(ctx: BrokerContext, reply: MessageLookupReply): Uint8Array {
  const budget = ctx.replyBudget();
  const data = encodeJson(reply);
  if (data.byteLength <= budget) return data;
  const { messages } = reply;
  const rest = Buffer.byteLength(JSON.stringify({ ...reply, messages: [], truncated: true }));
  const n = messages.length - fittingPrefix([...messages].reverse(), budget - rest);
  if (n === messages.length) {
    const m = messages.at(-1)!;
    throw tooLargeForReply(`message ${m.msgId}`, Buffer.byteLength(JSON.stringify(m)), budget, { msgId: m.msgId });
  }
  return encodeJson({ ...reply, messages: messages.slice(n), truncated: true });
}

export function adminHandlers(ctx: BrokerContext, consumers: ConsumerTable, ops: { queueMessages(o: Json): Uint8Array }) {
  return {
    topicUpsert(msg: Msg): TopicConfig {
      assertMaster(ctx);
      const config = decodeTopicConfig(parseObject(msg.data));
      // a topic with no queue takes no send, and its route reads as if no master served it
      if (config.readQueues < 1 || config.writeQueues < 1) {
        throw new RbusError(ErrorCode.BAD_REQUEST, `topic "${config.topic}" needs at least 1 read and 1 write queue (asked ${config.readQueues} read, ${config.writeQueues} write); to stop sends, set "perm" to "r"`);
      }
      ctx.log.info("topic upserted", { ...config });
      return ctx.topics.upsert(config);
    },

    topicList(msg: Msg): { topics: TopicConfig[] } {
      parseObject(msg.data);
      return { topics: ctx.topics.all() };
    },

    /**
     * {msgId} → that message; {topic, key} → messages with that key;
     * {topic, queueId, offset, max?} → a queue's messages from an offset.
     * A damaged record is reported, not hidden.
     */
    message(msg: Msg): Uint8Array {
      const o = parseObject(msg.data);
      if (o.msgId === undefined && o.queueId !== undefined) return ops.queueMessages(o);
      if (o.msgId !== undefined) {
        const id = decodeMsgId(str(o, "msgId"));
        if (!id) throw new RbusError(ErrorCode.BAD_REQUEST, `"msgId" is not a message id (<group>:<16 hex digits>)`);
        if (id.group !== ctx.group) throw new RbusError(ErrorCode.NOT_FOUND, `message ${o.msgId} belongs to group ${id.group}, not ${ctx.group}`);
        const found = ctx.store.lookupStatus(id.commitLogOffset);
        if (found.status === LookupStatus.CORRUPT_RECORD) throw corruptRecordError(found.corrupt);
        if (found.status === LookupStatus.NOT_FOUND) throw new RbusError(ErrorCode.NOT_FOUND, `no message ${o.msgId} (removed by retention, or never stored)`);
        return fitted(ctx, { messages: [toWireMessage(ctx.group, found.message)] });
      }
      const topic = topicName(o, "topic");
      const found = ctx.store.findByKey(topic, str(o, "key"), optInt(o, "max", 1, 1000) ?? 32);
      const reply: MessageLookupReply = { messages: found.messages.map((m) => toWireMessage(ctx.group, m)) };
      if (found.corrupt.length > 0) reply.corrupt = found.corrupt.map(corruptDetails);
      return fitted(ctx, reply);
    },

    /** Answers ConsumerMembers, encoded by the table once per membership change. */
    heartbeat(msg: Msg): Uint8Array {
      assertMaster(ctx);
      const hb = decodeClientHeartbeat(parseObject(msg.data));
      scopedGroup(msg, hb.group);
      return consumers.heartbeatReply(hb, ctx.clock.now());
    },

    unregister(msg: Msg): ConsumerMembers {
      const o = parseObject(msg.data);
      const group = scopedGroup(msg, name(o, "group"));
      return { group, members: consumers.unregister(group, name(o, "clientId")) };
    },
  };
}
