// Limits on what a client can make a broker hold: held long polls, reply
// bytes being built and sent, topics, queues, consumer groups and their
// members, message size. Each is configurable (BrokerOptions.limits, `rbus
// broker --max-…` flags), answered with LIMIT_EXCEEDED when hit (nothing is
// changed) and shown with its current use in the broker's status reply.
import { ErrorCode, RbusError, type ErrorDetails } from "../src/protocol/index.js";

export interface BrokerLimits {
  /** Long-poll pulls held at once on this broker. */
  maxHeldPulls: number;
  /** Long-poll pulls held at once for one client (one connection's reply inbox). */
  maxHeldPullsPerClient: number;
  /** Reply bytes built and not yet confirmed sent (a PING round trip) before more replies wait. */
  maxReplyBytesInFlight: number;
  /** Topics on this broker, auto-created ones included. */
  maxTopics: number;
  /** Read or write queues of one topic. */
  maxQueuesPerTopic: number;
  /** Consumer groups with live members on this broker; and, separately, consumer groups with committed offsets. */
  maxConsumerGroups: number;
  /** Live members of one consumer group. */
  maxGroupMembers: number;
  /** Live members of all consumer groups together. */
  maxMembers: number;
}

export const DEFAULT_LIMITS: BrokerLimits = {
  maxHeldPulls: 10_000,
  // A consumer holds one pull per queue it owns: room for many topics' worth.
  maxHeldPullsPerClient: 2_048,
  maxReplyBytesInFlight: 64 * 1024 * 1024,
  maxTopics: 10_000,
  maxQueuesPerTopic: 256,
  maxConsumerGroups: 10_000,
  maxGroupMembers: 1_024,
  maxMembers: 100_000,
};

/** Every limit set: the defaults where `given` says nothing; each must be a positive integer. */
export function resolveLimits(given: Partial<BrokerLimits> = {}): BrokerLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof BrokerLimits>) {
    const v = given[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`limit ${key} must be a positive integer, got ${v}`);
    out[key] = v;
  }
  return out;
}

/**
 * The typed refusal for a limit that was hit: `limit` names the setting,
 * `max` its value. Made without a stack trace: a flood of refusals is the
 * normal case here, and the trace says nothing a client can use.
 */
export function limitExceeded(limit: keyof BrokerLimits, max: number, what: string, more: ErrorDetails = {}): RbusError {
  const keep = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new RbusError(ErrorCode.LIMIT_EXCEEDED, `${what}: this broker's limit ${limit} is ${max}; nothing was changed (retry later, or raise the limit)`, {
      limit,
      max,
      ...more,
    });
  } finally {
    Error.stackTraceLimit = keep;
  }
}

/** A limit's value and what uses it now, for status. */
export interface LimitUse {
  max: number;
  used: number;
}

export interface LimitUsage {
  heldPulls: number;
  /** The client holding the most pulls now (its count). */
  heldPullsTopClient: number;
  replyBytesInFlight: number;
  topics: number;
  /** The topic with the most queues now (its count). */
  queuesTopTopic: number;
  consumerGroups: number;
  /** The largest consumer group now (its member count). */
  groupMembersTop: number;
  members: number;
}

/** The status reply's `limits` field: each limit with its current use, and the message size in force. */
export function limitsStatus(limits: BrokerLimits, use: LimitUsage, maxMessageBytes: number, maxPayload: number) {
  const u = (max: number, used: number): LimitUse => ({ max, used });
  return {
    maxHeldPulls: u(limits.maxHeldPulls, use.heldPulls),
    maxHeldPullsPerClient: u(limits.maxHeldPullsPerClient, use.heldPullsTopClient),
    maxReplyBytesInFlight: u(limits.maxReplyBytesInFlight, use.replyBytesInFlight),
    maxTopics: u(limits.maxTopics, use.topics),
    maxQueuesPerTopic: u(limits.maxQueuesPerTopic, use.queuesTopTopic),
    maxConsumerGroups: u(limits.maxConsumerGroups, use.consumerGroups),
    maxGroupMembers: u(limits.maxGroupMembers, use.groupMembersTop),
    maxMembers: u(limits.maxMembers, use.members),
    /** The body size a send may carry: the configured size, cut to what the bus's max_payload lets through. */
    maxMessageBytes,
    maxPayload,
  };
}

/** The process's memory (status): what the limits keep bounded. */
export function memoryNow() {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}
