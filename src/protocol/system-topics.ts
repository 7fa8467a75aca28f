// The topics the brokers keep for themselves, and the message properties
// that carry a message's history through them, named as RocketMQ's
// MessageConst names them so a RocketMQ user reads them as they expect.
// System topics are ordinary topics of the commit log: replicated,
// recovered and retained like any other. Producers cannot send to them.

/** Timer and delayed messages wait here until due (RocketMQ 5's rmq_sys_wheel_timer). */
export const TIMER_TOPIC = "rmq_sys_wheel_timer";
/** Half messages of transactions, invisible to consumers until committed. */
export const TRANS_HALF_TOPIC = "RMQ_SYS_TRANS_HALF_TOPIC";
/** One op record per settled half message (commit or rollback). */
export const TRANS_OP_TOPIC = "RMQ_SYS_TRANS_OP_HALF_TOPIC";

export const RETRY_PREFIX = "%RETRY%";
export const DLQ_PREFIX = "%DLQ%";

/** A consumer group's retry topic: messages its listener asked to see later. */
export const retryTopic = (consumerGroup: string): string => `${RETRY_PREFIX}${consumerGroup}`;
/** A consumer group's dead-letter topic: messages past maxReconsumeTimes. */
export const dlqTopic = (consumerGroup: string): string => `${DLQ_PREFIX}${consumerGroup}`;

export const isRetryTopic = (topic: string): boolean => topic.startsWith(RETRY_PREFIX);
export const isDlqTopic = (topic: string): boolean => topic.startsWith(DLQ_PREFIX);

/**
 * Consumer groups whose offsets are a broker service's progress, copied to
 * slaves with every other offset: the timer service's (scanFrom, logFrom)
 * and the transaction check's half and op positions. No client commits,
 * resets or joins them; moving one would deliver timers twice or settle
 * halves again.
 */
export const TIMER_PROGRESS_GROUP = "rmq_sys_timer_progress";
export const TRANSACTION_GROUP = "rbus-sys-transaction";
export const isSystemGroup = (group: string): boolean => group === TIMER_PROGRESS_GROUP || group === TRANSACTION_GROUP;

/** Topics only a broker writes: a producer's send to one is refused. */
export function isSystemTopic(topic: string): boolean {
  return topic === TIMER_TOPIC || topic === TRANS_HALF_TOPIC || topic === TRANS_OP_TOPIC || isRetryTopic(topic) || isDlqTopic(topic);
}

/** Message properties (RocketMQ's MessageConst where it has one). */
export const Prop = {
  /** Delay level 1–18 (RocketMQ 4's messageDelayLevel). */
  delayLevel: "DELAY",
  /** Delivery time, ms since the epoch (RocketMQ 5 timer messages). */
  timerDeliverMs: "TIMER_DELIVER_MS",
  /** Delivery after this many ms / seconds from the store time. */
  timerDelayMs: "TIMER_DELAY_MS",
  timerDelaySec: "TIMER_DELAY_SEC",
  /** On a record in the timer topic: when it is due, ms since the epoch. */
  timerOutMs: "TIMER_OUT_MS",
  /** On a message a timer delivered: the timer queue offset it came from (delivered once per offset). */
  timerQueueOffset: "TIMER_QUEUE_OFFSET",
  /** Where a message waiting in a system topic goes when it is due or committed. */
  realTopic: "REAL_TOPIC",
  realQueueId: "REAL_QID",
  /** The topic a retried message was first sent to. */
  retryTopic: "RETRY_TOPIC",
  /** The first message's id and queue, kept through every retry and into the DLQ. */
  originMsgId: "ORIGIN_MESSAGE_ID",
  originQueueId: "ORIGIN_QUEUE_ID",
  /** How many times the message was handed back (0 on its first delivery). */
  reconsumeTimes: "RECONSUME_TIME",
  maxReconsumeTimes: "MAX_RECONSUME_TIMES",
  /** "true" on a half message: stored in the half topic until settled. */
  transactionPrepared: "TRAN_MSG",
  /** The producer group asked to check a half message. */
  producerGroup: "PGROUP",
  /** The application's transaction id, given back on a check. */
  transactionId: "__transactionId__",
  /** On a committed message: the half queue offset it settles (settled once per offset). */
  transactionPreparedQueueOffset: "TRAN_PREPARED_QUEUE_OFFSET",
  /** The producer's unique id of a message, kept through timers, retries and transactions. */
  uniqKey: "UNIQ_KEY",
} as const;
