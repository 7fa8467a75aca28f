// The producer's view of a topic: RocketMQ's TopicPublishInfo. Its writable
// queues in a stable order, and for each queue the lane its async messages
// batch on. A topic no NameServer knows is sent along the route of the
// template topic TBW102, with 4 queues per group, as RocketMQ does: the
// broker creates the topic on the first message. Routes are refreshed in
// the background every refreshMs, and at once after a failure.
//
// A route in which no group has a master for now (every group electing, as
// after a NATS restart) still gives sends somewhere to wait: the queues of
// its masterless groups. Their batches go through the producer's retry
// path, which fetches the route again until a master is back or the
// budget is spent, instead of failing at once.
import { AUTO_CREATE_TOPIC, ErrorCode, RbusError, type RouteData } from "../protocol/index.js";
import type { Logger } from "../runtime/log.js";
import type { Lane } from "./batcher.js";
import { masterlessQueues, writableQueues, type MessageQueue, type RouteCache } from "./route-cache.js";
import { backoffMs, isRetriable, sleep } from "./send-retry.js";

/** RocketMQ's defaultTopicQueueNums. */
export const AUTO_CREATE_QUEUES = 4;

export interface TopicInfo {
  topic: string;
  route: RouteData;
  queues: MessageQueue[];
  /** The lane of each queue's group, parallel to `queues`: the hot path's only lookup. */
  lanes: Lane[];
  /** Writable queues of groups with no master in this route now; used only when `queues` is empty. */
  masterless: MessageQueue[];
  /** The lane of each masterless queue's group, parallel to `masterless`. */
  masterlessLanes: Lane[];
  /** Lanes for messages that must stay on their queue, by group (masterless groups too). */
  pinned: Map<string, Lane>;
  /** Refresh in the background after this time. */
  expiresAt: number;
  /** Built from TBW102's route: the topic does not exist yet. */
  autoCreated: boolean;
  /** A send along the borrowed route succeeded: the real route was asked for. */
  sentOnce: boolean;
  /** When the producer started borrowing TBW102's route for this topic. */
  borrowedSince: number;
}

/** A route for `topic` made from the template topic's route. */
export function templateRoute(topic: string, template: RouteData): RouteData {
  return {
    ...template,
    topic,
    queues: template.queues.map((q) => ({
      ...q,
      readQueues: Math.min(q.readQueues, AUTO_CREATE_QUEUES),
      writeQueues: Math.min(q.writeQueues, AUTO_CREATE_QUEUES),
    })),
  };
}

/**
 * Whether a topic's own route has a writable queue in every group that the
 * borrowed route had: until then, groups that have not had a message yet
 * have not created the topic, and the real route would leave them out.
 */
export function covers(real: RouteData, borrowed: RouteData): boolean {
  const writable = (r: RouteData) => new Set(r.queues.filter((q) => q.writeQueues > 0 && (q.perm === "rw" || q.perm === "w")).map((q) => q.group));
  const have = writable(real);
  for (const g of writable(borrowed)) if (!have.has(g)) return false;
  return true;
}

/**
 * Lanes outlive route refreshes: an open batch stays valid when its route
 * is replaced. With a wire that carries any topic (RBB2) a group's lane is
 * shared by every topic routed to it, so one batch fills from all of them.
 */
export class Lanes {
  private readonly byKey = new Map<string, Lane>();

  constructor(private readonly perTopic = true) {}

  get(topic: string, group: string, pinned: boolean): Lane {
    const laneTopic = this.perTopic ? topic : "";
    const key = `${laneTopic}\n${group}\n${pinned ? 1 : 0}`;
    let lane = this.byKey.get(key);
    if (lane === undefined) {
      lane = { topic: laneTopic, group, pinned, open: undefined, sizeHint: 0 };
      this.byKey.set(key, lane);
    }
    return lane;
  }

  topicInfo(route: RouteData, autoCreated: boolean, expiresAt: number): TopicInfo {
    const queues = writableQueues(route);
    const masterless = masterlessQueues(route);
    const pinned = new Map<string, Lane>();
    for (const q of [...queues, ...masterless]) if (!pinned.has(q.group)) pinned.set(q.group, this.get(route.topic, q.group, true));
    return {
      topic: route.topic,
      route,
      queues,
      lanes: queues.map((q) => this.get(route.topic, q.group, false)),
      masterless,
      masterlessLanes: masterless.map((q) => this.get(route.topic, q.group, false)),
      pinned,
      expiresAt,
      autoCreated,
      sentOnce: false,
      borrowedSince: 0,
    };
  }
}

/** After a failed route refresh, wait this long before the next. */
const REFRESH_BACKOFF_MS = 1000;

export interface PublishRoutesOptions {
  refreshMs: number;
  /** How long a route borrowed from TBW102 is trusted before asking again. */
  autoCreateRouteMs: number;
  log: Logger;
  /** One batch lane per topic and group (RBB1), or per group (default false: per group). */
  perTopicLanes?: boolean;
}

export class PublishRoutes {
  private readonly lanes: Lanes;
  private readonly topics = new Map<string, TopicInfo>();
  private readonly loading = new Map<string, Promise<TopicInfo>>();
  /** Topics on a borrowed route with no send through it yet: what sentAll looks for. */
  private readonly borrowed = new Set<string>();

  constructor(
    private readonly routes: RouteCache,
    private readonly opts: PublishRoutesOptions,
  ) {
    this.lanes = new Lanes(opts.perTopicLanes ?? false);
  }

  peek(topic: string): TopicInfo | undefined {
    return this.topics.get(topic);
  }

  /** The topic's info from memory, never waiting; starts a background refresh when one is due. */
  cached(topic: string, now: number): TopicInfo | undefined {
    const info = this.topics.get(topic);
    if (info !== undefined && now >= info.expiresAt) this.refresh(info, now);
    return info;
  }

  get(topic: string): Promise<TopicInfo> {
    const info = this.cached(topic, Date.now());
    return info !== undefined ? Promise.resolve(info) : this.load(topic);
  }

  /**
   * get(), asking again after a backoff while no NameServer answers (NO_RESPONDERS
   * or TIMEOUT: NATS is restarting, or the NameServers are not back on it yet),
   * until `endsAt`. Only a topic without a route yet waits here.
   */
  async getWithin(topic: string, endsAt: number): Promise<TopicInfo> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.get(topic);
      } catch (err) {
        const wait = backoffMs(attempt);
        if (!isRetriable(err) || Date.now() + wait >= endsAt) throw err;
        this.opts.log.debug("no route yet; asking again", { topic, error: String(err), waitMs: wait });
        await sleep(wait);
      }
    }
  }

  /** A send succeeded. On a borrowed route the broker has now created the topic: ask for its own route. */
  sent(info: TopicInfo, now: number): void {
    if (!info.autoCreated || info.sentOnce) return;
    info.sentOnce = true;
    this.borrowed.delete(info.topic);
    this.refresh(info, now);
  }

  /** sent() for the topics of a batch (one per message, repeats side by side): nothing to do unless a route is borrowed. */
  sentAll(topics: readonly string[], now: number): void {
    if (this.borrowed.size === 0) return;
    for (let i = 0; i < topics.length; i++) {
      const t = topics[i]!;
      if (t === topics[i - 1] || !this.borrowed.has(t)) continue;
      const info = this.topics.get(t);
      if (info !== undefined) this.sent(info, now);
    }
  }

  /** After a failure: forget the route and fetch it now; the old one if that fails too. */
  async reload(info: TopicInfo): Promise<TopicInfo> {
    this.routes.invalidate(info.topic);
    try {
      return await this.load(info.topic);
    } catch {
      return this.topics.get(info.topic) ?? info;
    }
  }

  private refresh(info: TopicInfo, now: number): void {
    if (this.loading.has(info.topic)) return;
    info.expiresAt = now + REFRESH_BACKOFF_MS;
    this.load(info.topic).catch((err: unknown) =>
      this.opts.log.debug("route refresh failed; keeping the old route", { topic: info.topic, error: String(err) }),
    );
  }

  /** Fetches the route once for all concurrent callers. */
  private load(topic: string): Promise<TopicInfo> {
    let p = this.loading.get(topic);
    if (p) return p;
    p = this.fetch(topic)
      .then((info) => {
        this.topics.set(topic, info);
        if (info.autoCreated && !info.sentOnce) this.borrowed.add(topic);
        else this.borrowed.delete(topic);
        return info;
      })
      .finally(() => this.loading.delete(topic));
    this.loading.set(topic, p);
    return p;
  }

  /**
   * The topic's own route; for a topic no broker has yet, TBW102's route
   * with 4 queues per group. A borrowed route is kept (for up to refreshMs)
   * until the topic's own route covers every group it spread messages over,
   * so that an auto-created topic lands on every auto-creating broker, not
   * only on the first to get a message.
   */
  private async fetch(topic: string): Promise<TopicInfo> {
    const now = Date.now();
    const { refreshMs, autoCreateRouteMs } = this.opts;
    const previous = this.topics.get(topic);
    let real: RouteData | undefined;
    try {
      real = await this.routes.fetch(topic);
    } catch (err) {
      if (!isTopicNotExist(err)) throw err;
    }
    const borrowing = previous?.autoCreated === true && now - previous.borrowedSince < refreshMs;
    if (real && !(borrowing && !covers(real, previous.route))) return this.lanes.topicInfo(real, false, now + refreshMs);
    let template: RouteData;
    try {
      template = await this.routes.fetch(AUTO_CREATE_TOPIC);
    } catch (err) {
      if (real) return this.lanes.topicInfo(real, false, now + refreshMs);
      if (!isTopicNotExist(err)) throw err;
      throw new RbusError(
        ErrorCode.TOPIC_NOT_EXIST,
        `no route for topic "${topic}", and no broker auto-creates topics (none serves ${AUTO_CREATE_TOPIC}); create the topic first`,
      );
    }
    const info = this.lanes.topicInfo(templateRoute(topic, template), true, now + autoCreateRouteMs);
    info.borrowedSince = borrowing ? previous.borrowedSince : now;
    info.sentOnce = borrowing ? previous.sentOnce : false;
    return info;
  }
}

const isTopicNotExist = (err: unknown) => err instanceof RbusError && err.code === ErrorCode.TOPIC_NOT_EXIST;
