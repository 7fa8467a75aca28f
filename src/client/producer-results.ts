// What sendAsync and sendBatch resolve with. A message id is a string built
// from the group and the commit-log offset (encodeMsgId); most callers never
// read it, so it is built on first read, not for every message answered.
// JSON.stringify shows the same fields a plain SendResult has.
import { encodeMsgId, type SendResult, type SendStatus } from "../protocol/index.js";

export class BatchedSendResult implements SendResult {
  private id: string | undefined = undefined;

  constructor(
    readonly status: SendStatus,
    readonly topic: string,
    readonly queueId: number,
    readonly queueOffset: number,
    private readonly group: string,
    private readonly commitLogOffset: number,
  ) {}

  get msgId(): string {
    return (this.id ??= encodeMsgId(this.group, this.commitLogOffset));
  }

  toJSON(): SendResult {
    return { status: this.status, msgId: this.msgId, topic: this.topic, queueId: this.queueId, queueOffset: this.queueOffset };
  }
}

/** sendBatch's answer: every message of the batch stored, in order, on one queue. */
export interface SendBatchResult {
  status: SendStatus;
  topic: string;
  /** The broker group that stored the batch. */
  group: string;
  queueId: number;
  /** Per message, in the batch's order. */
  msgIds: string[];
  /** Per message, in the batch's order: consecutive on the queue. */
  queueOffsets: number[];
}

export class StoredBatch implements SendBatchResult {
  private ids: string[] | undefined = undefined;

  constructor(
    readonly status: SendStatus,
    readonly topic: string,
    readonly group: string,
    readonly queueId: number,
    readonly queueOffsets: number[],
    private readonly commitLogOffsets: number[],
  ) {}

  get msgIds(): string[] {
    return (this.ids ??= this.commitLogOffsets.map((o) => encodeMsgId(this.group, o)));
  }

  toJSON(): SendBatchResult {
    const { status, topic, group, queueId, msgIds, queueOffsets } = this;
    return { status, topic, group, queueId, msgIds, queueOffsets };
  }
}
