// The group's retry topic as one more subscription of a clustering push
// consumer. It exists on a broker group only once a message there was
// handed back, so it joins the topics the membership balances only once a
// route names it: looked for at start, then every rebalance period, and
// at once (a few times, retryMs apart, while the NameServers learn it)
// after this member handed a message back to a group the route lacks, or
// a broker group said on rbus.events.consumers.<group> that it made the
// topic (another member handed back the group's first message there, and
// the retry queue may be balanced to this one).
import type { Logger } from "../runtime/log.js";
import type { RouteCache } from "./route-cache.js";

export interface RetryTopicWatchOptions {
  topic: string;
  routes: RouteCache;
  /** The topic now has a route (or a route with a new broker group): balance it. */
  found(): void;
  retryMs: number;
  periodMs: number;
  log: Logger;
}

const EAGER_PROBES = 10;

export class RetryTopicWatch {
  private groups = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private eager = 0;
  private probing = false;
  private closed = false;

  constructor(private readonly o: RetryTopicWatchOptions) {}

  /** Whether the membership should balance the topic now. */
  get routed(): boolean {
    return this.groups.size > 0;
  }

  start(): void {
    void this.probe();
  }

  /** A message of broker group `group` was handed back (here, or by another member): its retry queue is (or soon is) there. */
  used(group: string): void {
    if (this.closed || this.groups.has(group)) return;
    this.eager = EAGER_PROBES;
    if (!this.probing) {
      clearTimeout(this.timer);
      void this.probe();
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async probe(): Promise<void> {
    this.probing = true;
    let changed = false;
    try {
      const route = await this.o.routes.fetch(this.o.topic);
      for (const g of route.groups) {
        if (!this.groups.has(g.group)) changed = true;
        this.groups.add(g.group);
      }
    } catch (err) {
      this.o.log.debug("retry topic has no route yet", { topic: this.o.topic, error: String(err) });
    } finally {
      this.probing = false;
    }
    if (this.closed) return;
    if (changed) {
      this.eager = 0;
      this.o.found();
    }
    const wait = this.eager > 0 ? this.o.retryMs : this.o.periodMs;
    if (this.eager > 0) this.eager--;
    this.timer = setTimeout(() => void this.probe(), wait);
    this.timer.unref();
  }
}
