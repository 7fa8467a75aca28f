// Which queue a message goes to. By default RocketMQ's sendWhichQueue: a
// counter that walks the topic's writable queues, skipping groups the fault
// table keeps out. For ordered messages a selector picks the queue from the
// message (selectByKey: same key, same queue), and that choice is never
// changed behind the caller's back.
import { BadRequestError } from "../protocol/index.js";
import type { FaultTable } from "./fault-table.js";
import type { Message } from "./producer-message.js";
import type { MessageQueue } from "./route-cache.js";

/** RocketMQ's MessageQueueSelector: must return one of `queues`. */
export type QueueSelector<A = unknown> = (queues: readonly MessageQueue[], msg: Message, arg: A) => MessageQueue;

/** Java's String.hashCode, so keys land on the queues a RocketMQ producer would pick. */
export function javaHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * RocketMQ's SelectMessageQueueByHash: |hashCode(arg) % n|, with the message's
 * first key when there is no arg. Same key, same queue while the route is unchanged.
 */
export const selectByKey: QueueSelector = (queues, msg, arg) => {
  const key = arg !== undefined && arg !== null ? String(arg) : firstKey(msg.keys);
  if (key === undefined) throw new BadRequestError("selectByKey needs an arg or a message key");
  if (queues.length === 0) throw new BadRequestError(`topic "${msg.topic}" has no writable queue`);
  return queues[Math.abs(javaHash(key) % queues.length)]!;
};

function firstKey(keys: string | string[] | undefined): string | undefined {
  if (keys === undefined) return undefined;
  const k = typeof keys === "string" ? keys.split(" ")[0] : keys[0];
  return k ? k : undefined;
}

/** RocketMQ's sendWhichQueue plus MQFaultStrategy.selectOneMessageQueue. */
export class RoundRobin {
  private index: number;

  constructor(start = Math.floor(Math.random() * 1024)) {
    this.index = start;
  }

  /**
   * The index in `queues` of the next queue whose group is available and is
   * not `avoid` (the group that just failed). When every group is out, still
   * an answer: the least-faulted group other than `avoid`, if there is one.
   */
  next(queues: readonly MessageQueue[], faults?: FaultTable, avoid?: string): number {
    const n = queues.length;
    if (n === 0) return -1;
    for (let i = 0; i < n; i++) {
      const at = this.step(n);
      const g = queues[at]!.group;
      if (g !== avoid && (faults === undefined || faults.isAvailable(g))) return at;
    }
    const groups = [...new Set(queues.map((q) => q.group))];
    const others = groups.filter((g) => g !== avoid);
    const group = (faults?.leastFaulted(others.length > 0 ? others : groups) ?? others[0]) ?? groups[0];
    for (let i = 0; i < n; i++) {
      const at = this.step(n);
      if (queues[at]!.group === group) return at;
    }
    return this.step(n);
  }

  private step(n: number): number {
    const at = this.index % n;
    this.index = this.index >= 0x3fffffff ? 0 : this.index + 1;
    return at;
  }
}
