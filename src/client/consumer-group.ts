// Provides the rebalance machine's effects with NATS: heartbeats to the
// master of every broker group serving a subscribed topic (following a new
// master as soon as a replica names it), routes from the NameServers,
// membership events from the brokers. The members a client believes in are
// the union of the latest answer of each broker group, so a member that any
// live broker still knows keeps its share until that broker expires it
// (never two owners for long, never a queue orphaned).
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { createActor, fromPromise, waitFor, type Actor } from "xstate";
import type { StrategyName } from "../../machines/allocate.js";
import { rebalanceMachine, type AcquireParams, type RebalanceContext, type RefreshResult } from "../../machines/rebalance.js";
import type { ClientHeartbeat, ConsumeMode, ConsumerMembers, RouteData } from "../protocol/index.js";
import type { Logger } from "../runtime/log.js";
import type { BrokerClient } from "./broker-client.js";
import { natsInspector, type ContextSummary, type NodeInspector } from "../runtime/inspect.js";
import type { Timers } from "./batcher.js";
import { subscribeJson } from "../runtime/subscribe.js";
import { readableQueues, type MessageQueue, type RouteCache } from "./route-cache.js";
import { nameTable } from "../protocol/validate.js";

export interface GroupMembershipOptions {
  nc: NatsConnection;
  brokers: BrokerClient;
  routes: RouteCache;
  consumerGroup: string;
  clientId: string;
  mode: ConsumeMode;
  strategy?: StrategyName;
  /** The subscribed topics, as of now. */
  topics: () => string[];
  /** What a heartbeat to broker group `group` says of the member besides its topics: host, version, subscriptions, queues held there. */
  describe?: (group: string) => Partial<ClientHeartbeat>;
  heartbeatMs: number;
  refreshMs: number;
  retryMs: number;
  log: Logger;
  /** How often the rebalance actor's state is said again on rbus.inspect for late readers (default 10 s; 0: never). */
  inspectRefreshMs?: number;
  /** The timer of that repeat (real unless a test moves time). */
  inspectTimers?: Timers;
  acquire(queues: MessageQueue[], handover: MessageQueue[]): void;
  /** Stops reading the queues and commits their offsets. */
  release(queues: MessageQueue[]): Promise<void>;
  /** A broker group made the group's retry topic (a membership event said so). */
  retryTopicMade?(brokerGroup: string): void;
}

export type RebalanceActor = Actor<typeof rebalanceMachine>;

/** A consumer's current state is repeated this often on rbus.inspect: it answers no rbus.machines, so a late reader waits at most this. */
export const DEFAULT_INSPECT_REFRESH_MS = 10_000;
/** Queues named in a rebalance actor's inspect context, at most (the count is always whole). */
export const MAX_INSPECT_QUEUES = 64;

/** A queue as inspection, the dashboard and the rebalance log name it: "topic@group#queue". */
export const queueName = (q: MessageQueue) => `${q.topic}@${q.group}#${q.queueId}`;

/** The rebalance actor on rbus.inspect carries its consumer group and the queues it owns ("topic@group#queue"). */
export function rebalanceSummary(consumerGroup: string): ContextSummary {
  return (machine, context) => {
    if (machine !== "rebalance") return undefined;
    const owned = (context as RebalanceContext).owned;
    const queues = owned.slice(0, MAX_INSPECT_QUEUES).map(queueName);
    return { consumerGroup, queues, queueCount: owned.length };
  };
}

/**
 * The one info line of a rebalance: what this member took and gave up, what
 * it holds now, and among how many members (so an operator sees who reads
 * what, and when a dead member's queues moved).
 */
export function rebalanceLine(context: Pick<RebalanceContext, "owned" | "members">, took: readonly MessageQueue[], gave: readonly MessageQueue[], handover: readonly MessageQueue[]) {
  const fields: Record<string, unknown> = {
    took: took.map(queueName),
    gaveUp: gave.map(queueName),
    holds: context.owned.length,
    members: context.members?.length ?? 0,
  };
  if (handover.length > 0) fields.handover = handover.map(queueName);
  return { msg: `rebalanced: took ${took.length}, gave up ${gave.length}, holds ${context.owned.length}`, fields };
}

export class GroupMembership {
  readonly actor: RebalanceActor;
  /** The last member list each broker group's master answered. */
  private readonly views = new Map<string, string[]>();
  private heartbeating: Promise<string[] | undefined> | undefined;
  private again = false;
  private sub: Subscription | undefined;
  private readonly inspector: NodeInspector;
  /** What the release in progress (or the last one) gives up: the rebalance line names it with what is taken. */
  private released: MessageQueue[] = [];

  constructor(private readonly opts: GroupMembershipOptions) {
    const machine = rebalanceMachine.provide({
      actors: {
        refresh: fromPromise(() => this.refresh()),
        release: fromPromise<void, { queues: MessageQueue[] }>(({ input }) => {
          this.released = input.queues;
          return opts.release(input.queues);
        }),
        leave: fromPromise(() => this.leave()),
      },
      actions: {
        heartbeat: () => void this.heartbeatRound(),
        acquire: ({ context }, p: AcquireParams) => {
          opts.acquire(p.queues, p.handover);
          const line = rebalanceLine(context, p.queues, this.released, p.handover);
          if (p.queues.length > 0 || this.released.length > 0) opts.log.info(line.msg, line.fields);
          this.released = [];
        },
      },
    });
    this.inspector = natsInspector(opts.nc, opts.clientId, opts.brokers.subj.prefix, {
      summary: rebalanceSummary(opts.consumerGroup),
      refreshMs: opts.inspectRefreshMs ?? DEFAULT_INSPECT_REFRESH_MS,
      timers: opts.inspectTimers,
    });
    this.actor = createActor(machine, {
      id: "rebalance",
      inspect: this.inspector.observer,
      input: {
        clientId: opts.clientId,
        mode: opts.mode,
        strategy: opts.strategy ?? "averagely",
        refreshMs: opts.refreshMs,
        heartbeatMs: opts.heartbeatMs,
        retryMs: opts.retryMs,
      },
    });
    // however the actor ends (stop, or the connection closing under it), its repeats end with it
    const done = () => this.inspector.close();
    this.actor.subscribe({ complete: done, error: done });
  }

  start(): void {
    const subj = this.opts.brokers.subj;
    // Someone joined, left or expired on some broker: ask every broker now.
    this.sub = subscribeJson<ConsumerMembers>(
      this.opts.nc,
      subj.events.consumers(this.opts.consumerGroup),
      (ev) => {
        this.opts.log.debug("group membership changed on a broker", { members: ev.members });
        if (typeof ev.retryTopicOn === "string") this.opts.retryTopicMade?.(ev.retryTopicOn);
        this.actor.send({ type: "PROBE" });
      },
      { log: this.opts.log, decode: isMembers },
    );
    this.actor.start();
  }

  /** Leaves the group: releases (commits) every queue, unregisters, waits for it. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.actor.send({ type: "STOP" });
    await waitFor(this.actor, (s) => s.status === "done", { timeout: timeoutMs }).catch(() => undefined);
    this.actor.stop();
    this.inspector.close();
    this.sub?.unsubscribe();
  }

  /** Waits until the member holds a balanced share (or throws after timeoutMs). */
  async balanced(timeoutMs = 10_000): Promise<void> {
    await waitFor(this.actor, (s) => s.matches({ running: { balance: "balanced" } }), { timeout: timeoutMs });
  }

  /** Tells the machine about a topic subscribed after start. */
  async addTopic(topic: string): Promise<void> {
    const route = await this.opts.routes.fetch(topic);
    this.actor.send({ type: "ROUTE_CHANGED", topic, queues: readableQueues(route) });
    this.actor.send({ type: "PROBE" });
  }

  private async refresh(): Promise<RefreshResult> {
    const topics = nameTable<MessageQueue[]>();
    for (const topic of this.opts.topics()) topics[topic] = readableQueues(await this.opts.routes.fetch(topic));
    const members = await this.heartbeatRound();
    return members ? { topics, members } : { topics };
  }

  /** Broker groups of every subscribed topic: [group, a topic it serves]. */
  private async groups(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const topic of this.opts.topics()) {
      let route: RouteData;
      try {
        route = await this.opts.routes.get(topic);
      } catch {
        continue;
      }
      for (const g of route.groups) if (!out.has(g.group)) out.set(g.group, topic);
    }
    return out;
  }

  /** One heartbeat to every broker; concurrent calls share a round (and ask for one more). */
  private heartbeatRound(): Promise<string[] | undefined> {
    if (this.heartbeating) {
      this.again = true;
      return this.heartbeating;
    }
    this.heartbeating = (async () => {
      let members: string[] | undefined;
      do {
        this.again = false;
        members = await this.heartbeatOnce();
      } while (this.again);
      return members;
    })().finally(() => (this.heartbeating = undefined));
    return this.heartbeating;
  }

  private async heartbeatOnce(): Promise<string[] | undefined> {
    const o = this.opts;
    const groups = await this.groups();
    const hb = {
      clientId: o.clientId,
      group: o.consumerGroup,
      mode: o.mode,
      topics: o.topics(),
      // Three missed heartbeats and the broker forgets the member.
      ttlMs: Math.max(100, 3 * o.heartbeatMs),
    };
    let answered = 0;
    await Promise.all(
      [...groups].map(async ([group, topic]) => {
        try {
          const reply = await o.brokers.heartbeat(topic, group, o.describe ? { ...hb, ...o.describe(group) } : hb);
          this.views.set(group, reply.members);
          answered++;
        } catch (err) {
          o.log.debug("heartbeat failed", { broker: group, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
    for (const group of this.views.keys()) if (!groups.has(group)) this.views.delete(group);
    if (answered === 0) return undefined;
    const members = [...new Set([...this.views.values()].flat())].sort();
    if (this.actor.getSnapshot().status === "active") this.actor.send({ type: "MEMBERS_CHANGED", members });
    return members;
  }

  private async leave(): Promise<void> {
    if (this.released.length > 0) this.opts.log.info(`left the group: gave up ${this.released.length}`, { gaveUp: this.released.map(queueName) });
    this.released = [];
    const groups = await this.groups();
    await Promise.all(
      [...groups].map(([group, topic]) =>
        this.opts.brokers.unregister(topic, group, this.opts.clientId, this.opts.consumerGroup).catch((err) => {
          this.opts.log.warn("unregister failed; the broker will expire the member", { broker: group, error: String(err) });
        }),
      ),
    );
  }
}

/** A membership event names its consumer group and lists members; anything else is dropped. */
function isMembers(v: unknown): ConsumerMembers {
  const ev = v as Partial<ConsumerMembers> | null;
  if (typeof ev !== "object" || ev === null || typeof ev.group !== "string" || !Array.isArray(ev.members)) {
    throw new TypeError("not a consumer membership event");
  }
  return ev as ConsumerMembers;
}
