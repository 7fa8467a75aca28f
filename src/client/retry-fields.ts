// A handed-back message as its listener sees it: the attempt count and the
// original topic, id and queue, from the properties the broker wrote when
// it stored the copy (actors/retry-record.ts). A message of a retry topic
// is shown under its original topic, as RocketMQ's consumer does
// (resetRetryAndNamespace); its queue stays the retry topic's.
import { isRetryTopic, Prop } from "../protocol/index.js";
import type { ConsumedMessage } from "./broker-client.js";

export function withRetryFields(m: ConsumedMessage): void {
  const p = m.properties;
  const times = Number(p[Prop.reconsumeTimes]);
  if (Number.isSafeInteger(times) && times >= 0) m.reconsumeTimes = times;
  const originTopic = p[Prop.retryTopic];
  if (originTopic !== undefined) {
    m.originTopic = originTopic;
    if (isRetryTopic(m.topic)) m.topic = originTopic;
  }
  const originMsgId = p[Prop.originMsgId];
  if (originMsgId !== undefined) m.originMsgId = originMsgId;
  const originQueueId = Number(p[Prop.originQueueId]);
  if (p[Prop.originQueueId] !== undefined && Number.isSafeInteger(originQueueId)) m.originQueueId = originQueueId;
}
