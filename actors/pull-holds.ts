// Held long polls (RocketMQ's PullRequestHoldService): pulls that found
// nothing new, waiting for a message in their queue or the end of their
// wait. A hold keeps only what answering it needs (the request, its reply
// subject, who asked), not the request message nor a suspended handler:
// 50,000 held pulls used to cost 95 MB. Holds are capped per broker and per
// client (limits.ts); woken holds are answered in a microtask, never inside
// the store's append callback.
import { encodeJson, toEnvelope, type PullRequest } from "../src/protocol/index.js";
import type { Clock } from "./group-transport.js";
import { limitExceeded, type BrokerLimits } from "./limits.js";

export interface Hold {
  readonly req: PullRequest;
  readonly tagHashes: Set<bigint> | undefined;
  /** Where the answer goes. */
  readonly reply: string;
  readonly client: string;
  /** The holds of its queue, until woken. */
  set: Set<Hold> | undefined;
  timer: unknown;
}

/** Who holds a pull: its reply inbox less the last token (one NATS connection's request inbox). */
export function clientOf(reply: string): string {
  const dot = reply.lastIndexOf(".");
  return dot > 0 ? reply.slice(0, dot) : reply;
}

export class PullHolds {
  private readonly byQueue = new Map<string, Set<Hold>>();
  private readonly byClient = new Map<string, number>();
  private count = 0;
  private woken: Hold[] = [];
  /** The broker-wide refusal, encoded once: a flood of pulls past the limit costs a reply each, no more. */
  private brokerFull: Uint8Array | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly limits: Pick<BrokerLimits, "maxHeldPulls" | "maxHeldPullsPerClient">,
    /** Answers a woken hold (its wait ended or its queue has news). */
    private readonly answer: (h: Hold) => void,
  ) {}

  /**
   * Holds the pull; undefined when held. Past maxHeldPulls: the encoded
   * LIMIT_EXCEEDED reply to send. Past maxHeldPullsPerClient: throws it.
   */
  hold(req: PullRequest, tagHashes: Set<bigint> | undefined, reply: string): Uint8Array | undefined {
    const { maxHeldPulls, maxHeldPullsPerClient } = this.limits;
    if (this.count >= maxHeldPulls) {
      return (this.brokerFull ??= encodeJson(toEnvelope(limitExceeded("maxHeldPulls", maxHeldPulls, "as many pulls as allowed are held on this broker"))));
    }
    const client = clientOf(reply);
    const mine = this.byClient.get(client) ?? 0;
    if (mine >= maxHeldPullsPerClient) {
      throw limitExceeded("maxHeldPullsPerClient", maxHeldPullsPerClient, `${mine} pulls are held for this client`, { client });
    }
    this.byClient.set(client, mine + 1);
    this.count++;
    const key = queueKey(req.topic, req.queueId);
    let set = this.byQueue.get(key);
    if (!set) this.byQueue.set(key, (set = new Set()));
    const h: Hold = { req, tagHashes, reply, client, set, timer: undefined };
    h.timer = this.clock.set(() => this.wake(h), req.waitMs);
    set.add(h);
    return undefined;
  }

  /** Entries up to `maxOffset` are visible in the queue: its holds below that wake. */
  arrived(topic: string, queueId: number, maxOffset: number): void {
    const set = this.byQueue.get(queueKey(topic, queueId));
    if (set) for (const h of set) if (h.req.offset < maxOffset) this.wake(h);
  }

  held(): number {
    return this.count;
  }

  /** The most pulls one client holds now (in status). */
  topClient(): number {
    let top = 0;
    for (const n of this.byClient.values()) if (n > top) top = n;
    return top;
  }

  /** Answers every hold now (on shutdown). */
  releaseAll(): void {
    for (const set of [...this.byQueue.values()]) for (const h of set) this.wake(h);
    this.drain();
  }

  private wake(h: Hold): void {
    const set = h.set;
    if (!set) return;
    h.set = undefined;
    this.clock.clear(h.timer);
    set.delete(h);
    if (set.size === 0) this.byQueue.delete(queueKey(h.req.topic, h.req.queueId));
    this.count--;
    const mine = this.byClient.get(h.client)! - 1;
    if (mine === 0) this.byClient.delete(h.client);
    else this.byClient.set(h.client, mine);
    if (this.woken.push(h) === 1) queueMicrotask(() => this.drain());
  }

  private drain(): void {
    const woken = this.woken;
    this.woken = [];
    for (const h of woken) this.answer(h);
  }
}

const queueKey = (topic: string, queueId: number) => `${topic}\u0000${queueId}`;
