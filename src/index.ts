// `import … from "rocketbus"`: the clients, their options and results, the
// errors a client throws, and the queue selectors. Everything else under
// dist/ is internal and may change between versions.

export { Producer, type ProducerOptions, type SendOptions, type Message, type SendBatchResult, isRetriable } from "./client/producer.js";
export { selectByKey, javaHash, type QueueSelector } from "./client/queue-selector.js";
export type { HalfMessage, LocalTransaction, TransactionSendResult } from "./client/transaction-producer.js";
export type { CheckListener, CheckedMessage } from "./client/transaction-check.js";
export type { TransactionState, TransactionAction, TxEndResult, TransactionEvent } from "./protocol/index.js";

export { PushConsumer, type PushConsumerOptions, type MessageListener, type ConsumeStatus } from "./client/push-consumer.js";
export type { OrderlyOptions } from "./client/orderly-consume.js";
export { sendBack, type SendBackOptions } from "./client/send-back.js";
export { retryTopic, dlqTopic, type DlqEvent, type SendBackReply } from "./protocol/index.js";
export { PullConsumer, type PullConsumerOptions } from "./client/pull-consumer.js";
export type { ConsumerOptions } from "./client/consumer-core.js";
export { defaultClientId } from "./client/client-id.js";
export type { ConsumedMessage } from "./client/broker-client.js";
export type { CorruptRecord, StartFrom } from "./client/process-queue.js";
export type { MessageQueue } from "./client/route-cache.js";
export { LocalOffsetStore, type OffsetStore } from "./client/offset-store.js";
export type { StrategyName } from "../machines/allocate.js";

export { Admin, type TopicPlacement, type TopicUpdate, type GroupMember, type OffsetReset, type ProgressRow } from "./client/admin.js";

export { RbusError, BadRequestError, ErrorCode, type ErrorDetails } from "./protocol/errors.js";
export {
  ConsumeMode,
  Liveness,
  Perm,
  Role,
  SendStatus,
  type BrokerInfo,
  type ClusterInfo,
  type NameServerInfo,
  type RouteData,
  type GroupRoute,
  type ReplicaRoute,
  type QueueData,
  type TopicConfig,
  type SendResult,
  type BatchSendResult,
  type WireMessage,
} from "./protocol/index.js";

export { createLogger, silentLogger, LogLevel, type Logger } from "./runtime/log.js";
