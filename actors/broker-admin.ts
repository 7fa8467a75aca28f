// The broker's management APIs: topics, message lookup, status, and the
// consumer membership heartbeat.
import type { Msg } from "@nats-io/transport-node";
import {
  decodeClientHeartbeat,
  decodeMsgId,
  decodeTopicConfig,
  ErrorCode,
  name,
  optInt,
  parseObject,
  RbusError,
  str,
  type ConsumerMembers,
  type TopicConfig,
  type WireMessage,
} from "../src/protocol/index.js";
import type { BrokerContext } from "./broker-context.js";
import type { ConsumerTable } from "./consumer-table.js";
import { fittingPrefix, tooLargeForReply } from "./reply-limits.js";
import { toWireMessage } from "./wire-message.js";

/** The newest messages that fit one reply; a lone one too big for any reply is a typed error. */
function fitted(ctx: BrokerContext, messages: WireMessage[]): { messages: WireMessage[]; truncated?: true } {
  const budget = ctx.replyBudget() - 64;
  const n = messages.length - fittingPrefix([...messages].reverse(), budget);
  if (n === 0) return { messages };
  if (n === messages.length) {
    const m = messages.at(-1)!;
    throw tooLargeForReply(`message ${m.msgId}`, Buffer.byteLength(JSON.stringify(m)), budget, { msgId: m.msgId });
  }
  return { messages: messages.slice(n), truncated: true };
}

export function adminHandlers(ctx: BrokerContext, consumers: ConsumerTable) {
  return {
    topicUpsert(msg: Msg): TopicConfig {
      const config = decodeTopicConfig(parseObject(msg.data));
      ctx.log.info("topic upserted", { ...config });
      return ctx.topics.upsert(config);
    },

    topicList(msg: Msg): { topics: TopicConfig[] } {
      parseObject(msg.data);
      return { topics: ctx.topics.all() };
    },

    /** {msgId} → that message; {topic, key} → messages with that key. */
    message(msg: Msg): { messages: WireMessage[] } {
      const o = parseObject(msg.data);
      if (o.msgId !== undefined) {
        const id = decodeMsgId(str(o, "msgId"));
        if (!id) throw new RbusError(ErrorCode.BAD_REQUEST, `"msgId" is not a message id (<group>:<16 hex digits>)`);
        if (id.group !== ctx.group) throw new RbusError(ErrorCode.NOT_FOUND, `message ${o.msgId} belongs to group ${id.group}, not ${ctx.group}`);
        const m = ctx.store.lookup(id.commitLogOffset);
        if (!m) throw new RbusError(ErrorCode.NOT_FOUND, `no message ${o.msgId} (removed by retention, or never stored)`);
        return fitted(ctx, [toWireMessage(ctx.group, m)]);
      }
      const topic = name(o, "topic");
      const found = ctx.store.queryByKey(topic, str(o, "key"), optInt(o, "max", 1, 1000) ?? 32);
      return fitted(ctx, found.map((m) => toWireMessage(ctx.group, m)));
    },

    heartbeat(msg: Msg): ConsumerMembers {
      const hb = decodeClientHeartbeat(parseObject(msg.data));
      return { group: hb.group, members: consumers.heartbeat(hb, Date.now()) };
    },

    unregister(msg: Msg): ConsumerMembers {
      const o = parseObject(msg.data);
      const group = name(o, "group");
      return { group, members: consumers.unregister(group, name(o, "clientId")) };
    },
  };
}
