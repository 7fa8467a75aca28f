// The batcher's transport: one send.batch request to a broker group, and
// what follows a failure (decisions in send-retry.ts, as for send). A
// replica that names the master gets the same bytes at once; otherwise the
// group is kept out, the routes of the batch's topics are fetched again and
// its messages move to other groups (regroup: each topic to a group that
// serves it, possibly several batches), or, pinned or with nowhere to go,
// the same group is tried again after a backoff. The retry budget runs from
// the batch's first attempt and goes with its messages when they move.
import { headers } from "@nats-io/transport-node";
import { Header, subjects, type BatchSendResult } from "../protocol/index.js";
import type { Logger } from "../runtime/log.js";
import { natsError } from "../runtime/request.js";
import type { Batch, Batcher, Target } from "./batcher.js";
import type { FaultTable } from "./fault-table.js";
import type { ReplyInbox } from "./producer-inbox.js";
import { decodeBatchSendReply } from "./producer-message.js";
import type { PublishRoutes, TopicInfo } from "./producer-routes.js";
import type { RoundRobin } from "./queue-selector.js";
import type { RouteCache } from "./route-cache.js";
import { deadline, noMaster, retryStep, sleep, withAttempts } from "./send-retry.js";

/** An attempt gets at least this long, even at the very end of the budget. */
export const MIN_ATTEMPT_MS = 100;
/**
 * Routes fetched again after a failed batch, at most: a batch of 1 000
 * topics would otherwise ask the NameServers 1 000 times per failure. The
 * others refresh on their own schedule; the fault table steers them meanwhile.
 */
const RELOAD_TOPICS = 16;

export interface BatchSendContext {
  readonly subj: ReturnType<typeof subjects>;
  readonly routes: RouteCache;
  readonly publish: PublishRoutes;
  readonly faults: FaultTable;
  readonly inbox: ReplyInbox;
  readonly rr: RoundRobin;
  readonly log: Logger;
  readonly timeoutMs: number;
  readonly retryBudgetMs: number;
  readonly retries: number;
  batcher(): Batcher;
}

export class BatchSender {
  constructor(private readonly c: BatchSendContext) {}

  /** The Transport: the broker's reply, or undefined once the batch's messages moved to other batches. */
  readonly send = async (b: Batch): Promise<BatchSendResult | undefined> => {
    const c = this.c;
    if (b.began === 0) b.began = Date.now();
    const budget = { endsAt: b.began + c.retryBudgetMs, retries: c.retries };
    const group = b.lane.group;
    let follow: string | undefined;
    let hops = 0;
    let refreshes = 0;
    for (; ; b.attempts++) {
      const started = Date.now();
      let address: string | undefined;
      let subject = `the master of ${group}`;
      try {
        address = follow ?? c.routes.master(this.info(b).route, group);
        follow = undefined;
        if (!address) throw noMaster(b.topics[0]!, group);
        subject = c.subj.brokerApi(address, "send.batch");
        const timeout = Math.min(c.timeoutMs, Math.max(MIN_ATTEMPT_MS, budget.endsAt - started));
        const h = headers();
        // RBB2 records name their topics; RBB1 needs the header
        if (b.lane.topic !== "") h.set(Header.topic, b.lane.topic);
        h.set(Header.deadline, String(deadline(started, timeout)));
        const reply = decodeBatchSendReply(await c.inbox.request(subject, b.payload(), timeout, h));
        const now = Date.now();
        c.faults.succeeded(group, now - started);
        c.publish.sentAll(b.topics, now);
        return reply;
      } catch (err) {
        const e = natsError(err, subject);
        b.tried.push(group);
        const hint = c.routes.masters.learn(e);
        const hintAddress = hint !== undefined && hint.group === group ? hint.address : undefined;
        const now = Date.now();
        const step = retryStep(e, { attempt: b.attempts, now, address, hintAddress, hops, refreshes }, budget);
        if (step.kind === "give-up") throw withAttempts(e, b.tried);
        if (step.kind === "master") {
          c.log.debug("not the master; following the master it named", { group, term: hint?.term, master: step.address });
          follow = step.address;
          hops++;
          continue;
        }
        hops = 0;
        await this.failed(b, group, address);
        if (!b.lane.pinned) {
          b.attempts++;
          if (c.batcher().regroup(b, (t) => this.target(t, group, false))) return undefined;
          b.attempts--;
        }
        refreshes++;
        const wait = step.backoffMs - (Date.now() - started);
        if (wait > 0) await sleep(wait);
      }
    }
  };

  /**
   * Where a topic's messages go when they leave `failed`: round-robin to
   * another group with a queue of the topic, and that group's queues in
   * order from there. With `available`, only a group the fault table lets in.
   */
  target(topic: string, failed: string, available: boolean): Target | undefined {
    const c = this.c;
    const info = c.publish.peek(topic);
    if (info === undefined) return undefined;
    const at = c.rr.next(info.queues, c.faults, failed);
    if (at < 0) return undefined;
    const lane = info.lanes[at]!;
    if (lane.group === failed || (available && !c.faults.isAvailable(lane.group))) return undefined;
    const queueIds: number[] = [];
    for (const q of info.queues) if (q.group === lane.group) queueIds.push(q.queueId);
    return { lane, queueIds, next: at };
  }

  /** The route a batch's address comes from: its first topic's (a group's master is the same in every topic's route). */
  private info(b: Batch): TopicInfo {
    return this.c.publish.peek(b.topics[0]!)!;
  }

  /**
   * After a retriable failure: keep the group out, move what is queued for
   * it, fetch the routes of the batch's topics again. A route that names a
   * new master for the group lets it back in: the failure was the old master's.
   */
  private async failed(b: Batch, group: string, address: string | undefined): Promise<void> {
    const c = this.c;
    c.faults.failed(group);
    c.routes.masters.forget(group, address);
    c.log.debug("send.batch failed; group kept out", { group, topics: b.topics[0] });
    this.shutOut(group);
    // the first topic's route gives the group's master; a few more are asked for, not every topic of a large batch
    const topics = [...new Set(b.topics)].slice(0, RELOAD_TOPICS);
    const infos = await Promise.all(topics.map((t) => c.publish.reload(c.publish.peek(t)!)));
    const now = c.routes.master(infos[0]!.route, group);
    if (now !== undefined && now !== address) c.faults.clear(group);
  }

  /**
   * `group` was shut out: the batches queued for it and not sent yet go to
   * groups that are available now, so they neither wait for the stuck group
   * nor add to its backlog. Pinned batches stay (their order is their queue's).
   */
  shutOut(group: string): void {
    const batcher = this.c.batcher();
    const moved = batcher.shutOut(group, (b) => !b.lane.pinned && batcher.regroup(b, (t) => this.target(t, group, true)));
    if (moved) this.c.log.debug("queued batches moved off a group that was shut out", { group, batches: moved });
  }
}
