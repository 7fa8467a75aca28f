// Queue allocation among the members of a consumer group (RocketMQ's
// AllocateMessageQueueStrategy). Pure: every member computes the same
// answer from the same sorted members and sorted queues, so no member
// needs to ask another who owns what.

/** One queue of a topic, as the rebalance machine sees it (structurally RocketMQ's MessageQueue). */
export interface QueueRef {
  topic: string;
  group: string;
  queueId: number;
}

export const queueRefKey = (q: QueueRef) => `${q.topic}/${q.group}/${q.queueId}`;

/** Topic, then broker group, then queue id (numerically): the order every member agrees on. */
export function compareQueues(a: QueueRef, b: QueueRef): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  return a.queueId - b.queueId;
}

export function sortQueues<Q extends QueueRef>(queues: readonly Q[]): Q[] {
  return [...queues].sort(compareQueues);
}

export function sortMembers(members: readonly string[]): string[] {
  return [...new Set(members)].sort();
}

/** The queues `me` owns among sorted `members`; none when `me` is not a member. */
export type AllocateStrategy = <Q>(me: string, members: readonly string[], queues: readonly Q[]) => Q[];

/**
 * RocketMQ's AllocateMessageQueueAveragely: consecutive ranges, the first
 * `queues % members` members take one more. 8 queues, 3 members → 3, 3, 2.
 */
export const allocateAveragely: AllocateStrategy = (me, members, queues) => {
  const index = members.indexOf(me);
  if (index < 0 || queues.length === 0) return [];
  const q = queues.length;
  const m = members.length;
  const mod = q % m;
  const size = q <= m ? 1 : mod > 0 && index < mod ? Math.floor(q / m) + 1 : Math.floor(q / m);
  const start = mod > 0 && index < mod ? index * size : index * size + mod;
  const out: (typeof queues)[number][] = [];
  for (let i = 0; i < Math.min(size, q - start); i++) out.push(queues[start + i]!);
  return out;
};

/** RocketMQ's AllocateMessageQueueAveragelyByCircle: queue i goes to member i mod members. */
export const allocateByCircle: AllocateStrategy = (me, members, queues) => {
  const index = members.indexOf(me);
  if (index < 0) return [];
  return queues.filter((_, i) => i % members.length === index);
};

export const strategies = { averagely: allocateAveragely, circle: allocateByCircle } as const;
export type StrategyName = keyof typeof strategies;

/** Every member's share, for checks and for finding who owned a queue before. */
export function allocateAll<Q>(strategy: AllocateStrategy, members: readonly string[], queues: readonly Q[]): Map<string, Q[]> {
  return new Map(members.map((m) => [m, strategy(m, members, queues)]));
}
