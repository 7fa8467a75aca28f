// Routes fetched from the NameServers and cached, as RocketMQ's
// MQClientInstance does: refreshed every 30 s (pollNameServerInterval) and
// at once after a failure (invalidate). Concurrent lookups of one topic
// share one request.
import type { NatsConnection } from "@nats-io/transport-node";
import { subjects, type RouteData } from "../protocol/index.js";
import { requestJson } from "../runtime/request.js";
import { MasterHints, masterOf } from "./master-hints.js";

export { masterOf } from "./master-hints.js";

/** One queue of a topic: RocketMQ's MessageQueue. */
export interface MessageQueue {
  topic: string;
  group: string;
  queueId: number;
}

export const queueKey = (q: MessageQueue) => `${q.topic}/${q.group}/${q.queueId}`;

export interface RouteCacheOptions {
  prefix?: string;
  /** Refresh a cached route after this long (RocketMQ: 30 s). */
  refreshMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

interface Entry {
  route: RouteData;
  fetchedAt: number;
}

export class RouteCache {
  /** Masters named by NOT_MASTER replies, newer than the routes until the NameServers catch up. */
  readonly masters: MasterHints;
  private readonly routes = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<RouteData>>();
  /** Bumped by invalidate: a fetch that started before it must not refill the cache. */
  private generation = 0;
  private readonly subj;
  private readonly refreshMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly nc: NatsConnection,
    opts: RouteCacheOptions = {},
  ) {
    this.subj = subjects(opts.prefix);
    this.masters = new MasterHints((group, replica) => this.subj.brokerBase(group, replica));
    this.refreshMs = opts.refreshMs ?? 30_000;
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.now = opts.now ?? Date.now;
  }

  /** The topic's route, from the cache while fresh; throws RbusError TOPIC_NOT_EXIST when no broker serves it. */
  async get(topic: string): Promise<RouteData> {
    const cached = this.routes.get(topic);
    if (cached && this.now() - cached.fetchedAt < this.refreshMs) return cached.route;
    return this.fetch(topic);
  }

  /** The cached route even if stale, or undefined; never waits. */
  peek(topic: string): RouteData | undefined {
    return this.routes.get(topic)?.route;
  }

  /** Forgets a topic's route so that the next get asks a NameServer. */
  invalidate(topic: string): void {
    this.routes.delete(topic);
    this.inflight.delete(topic);
    this.generation++;
  }

  fetch(topic: string): Promise<RouteData> {
    const pending = this.inflight.get(topic);
    if (pending) return pending;
    const generation = this.generation;
    const p = requestJson<RouteData>(this.nc, this.subj.ns.route, { topic }, this.timeoutMs)
      .then((route) => {
        if (generation === this.generation) this.routes.set(topic, { route, fetchedAt: this.now() });
        return route;
      })
      .finally(() => {
        if (this.inflight.get(topic) === p) this.inflight.delete(topic);
      });
    this.inflight.set(topic, p);
    return p;
  }

  /** Where writes to `group` go: the route's master, or the newer master a replica named. */
  master(route: RouteData, group: string): string | undefined {
    return this.masters.address(route, group);
  }
}

/** Queues a producer may write to, in a stable order: group by group, queue id by queue id. */
export function writableQueues(route: RouteData): MessageQueue[] {
  return writable(route, true);
}

/**
 * Writable queues of the groups that have no master in the route now (an
 * election, or replicas not registered again after a NATS restart): where a
 * send waits for the next master, within its retry budget.
 */
export function masterlessQueues(route: RouteData): MessageQueue[] {
  return writable(route, false);
}

function writable(route: RouteData, withMaster: boolean): MessageQueue[] {
  const out: MessageQueue[] = [];
  for (const q of route.queues) {
    if (q.perm !== "rw" && q.perm !== "w") continue;
    if ((masterOf(route.groups.find((g) => g.group === q.group)) !== undefined) !== withMaster) continue;
    for (let i = 0; i < q.writeQueues; i++) out.push({ topic: route.topic, group: q.group, queueId: i });
  }
  return out;
}

/** Queues a consumer may read from, in a stable order (what rebalancing divides). */
export function readableQueues(route: RouteData): MessageQueue[] {
  const out: MessageQueue[] = [];
  for (const q of route.queues) {
    if (q.perm !== "rw" && q.perm !== "r") continue;
    for (let i = 0; i < q.readQueues; i++) out.push({ topic: route.topic, group: q.group, queueId: i });
  }
  return out;
}

/** Subject prefix of a group's master in the route alone (no hints: see RouteCache.master). */
export function brokerAddress(route: RouteData, group: string): string | undefined {
  return masterOf(route.groups.find((g) => g.group === group))?.address;
}
