// What the broker's request handlers share: the replica's identity, its
// store and topic table. Handlers read it; only broker.ts builds it.
import { notMasterError, type BrokerApi, type RbusError, type ScopedApi } from "../src/protocol/index.js";
import type { MessageStore } from "../src/store/index.js";
import type { Logger } from "../src/runtime/log.js";
import type { BrokerCounters } from "./broker-metrics.js";
import type { BrokerTopics } from "./broker-topics.js";
import type { Clock } from "./group-transport.js";
import type { BrokerLimits } from "./limits.js";
import type { ReplyPacer } from "./reply-pacer.js";
import type { BrokerTimers } from "./timer-api.js";
import type { Replication } from "./replication.js";

export interface BrokerContext {
  group: string;
  replica: number;
  store: MessageStore;
  topics: BrokerTopics;
  /** Largest message body a send may carry: the configured limit, or less when the bus's max_payload is smaller. */
  maxMessageBytes: number;
  /** Bytes a reply payload may take now (the server's max_payload less room for headers). */
  replyBudget(): number;
  /** What clients may make this broker hold (limits.ts). */
  limits: BrokerLimits;
  /** Reply bytes being built and sent: replies from stored messages wait their turn past the cap. */
  pacer: ReplyPacer;
  log: Logger;
  /** Time and timers (held pulls): real, or simulated in tests. */
  clock: Clock;
  /** Whether this replica takes writes now (read per request: roles change). */
  isMaster(): boolean;
  /** The group's replication: role, term, commit offset. */
  replication: Replication;
  /** Replicas in the group (1: no replication). */
  replicas: number;
  /** Whether a send waits for a majority (quorum) or only for this replica's own append (leader). */
  ack: "quorum" | "leader";
  /** How long a send waits for its commit when it carries no deadline. */
  commitTimeoutMs: number;
  /** The subject prefix another replica of the group serves on. */
  address(replica: number): string;
  /** A consumer this many log bytes behind the end is sent to a slave (RocketMQ: 40 % of memory). */
  readFromSlaveBytes: number;
  /** On a slave: passes a request on to the master (a consumer's offset commit). Rejects when no master answers. */
  /** Asks the master the same request; resolves with its JSON reply. */
  forwardToMaster(api: BrokerApi | ScopedApi, data: Uint8Array): Promise<unknown>;
  /** The topic table or consumer offsets changed: the slaves copy them. */
  configChanged(): void;
  /** What send and pull add to, once per request (rbus.metrics). */
  counters: BrokerCounters;
  /** Timer and delayed messages: schedule() puts a message into the timer topic (docs/timers.md). */
  timers: BrokerTimers;
}

/** NOT_MASTER naming the current master (when known), so the client retries there at once. */
export function notMaster(ctx: BrokerContext, why: string): RbusError {
  const master = ctx.replication.master();
  const known = master !== null && master !== ctx.replica ? master : -1;
  const where = known >= 0 ? `the master is ${ctx.group}.${known}` : "no master is known now (an election may be under way); retry shortly";
  return notMasterError(ctx.group, ctx.replication.term(), known, known >= 0 ? ctx.address(known) : "", `${ctx.group}.${ctx.replica} ${why}; ${where}`);
}

export function assertMaster(ctx: BrokerContext): void {
  if (!ctx.isMaster()) throw notMaster(ctx, `is not the master of ${ctx.group}`);
}
