// A topic nobody serves, named with the nearest topic that exists.
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../client/admin.js";
import { ErrorCode, RbusError } from "../protocol/index.js";
import { hint } from "./nearest.js";

/** Runs `fn`; a TOPIC_NOT_EXIST it throws comes back with the nearest topic the brokers list. */
export async function withTopicHint<T>(nc: NatsConnection, prefix: string, topic: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof RbusError && err.code === ErrorCode.TOPIC_NOT_EXIST)) throw err;
    throw new RbusError(err.code, `${err.message}${await topicHint(nc, prefix, topic)}`);
  }
}

/** "; did you mean orders?" or the topics there are; "" when they cannot be listed. */
export async function topicHint(nc: NatsConnection, prefix: string, topic: string): Promise<string> {
  const topics = await new Admin(nc, { prefix, timeoutMs: 2000 }).listTopics().catch(() => []);
  return hint(topic, [...new Set(topics.map((t) => t.topic))].filter((t) => t !== "TBW102"), "topics");
}
