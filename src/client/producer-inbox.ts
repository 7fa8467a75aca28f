// The producer's requests (send, send.batch) over one reply subscription of
// its own: the same wire as nc.request (a reply subject under the
// connection's inbox prefix, one wildcard subscription per producer), but
// without what nats.js adds to each request for its async stack traces:
// three Error objects (each a stack capture), a timer promise raced against
// the reply and a random token. Those were the largest cost of a sync send
// on the producer, and of every send.batch. Failures come back as the
// errors nc.request gives (TimeoutError, NoRespondersError), so natsError
// maps them the same way.
import { createInbox, NoRespondersError, TimeoutError, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";

interface Waiter {
  resolve(msg: Msg): void;
  reject(err: unknown): void;
  timer: ReturnType<typeof setTimeout>;
  subject: string;
}

/** The connection's inbox prefix (NATS_INBOX_PREFIX): a user's permissions allow replies only there. */
function inboxPrefixOf(nc: NatsConnection): string | undefined {
  return (nc as unknown as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
}

export class ReplyInbox {
  private sub: Subscription | undefined;
  private base = "";
  private seq = 0;
  private readonly waiting = new Map<string, Waiter>();
  private closing = false;

  constructor(private readonly nc: NatsConnection) {}

  /** Publishes `data` with a reply subject of this inbox; settles with the reply, a TimeoutError or NoRespondersError. */
  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) => {
      const token = (this.seq++).toString(36);
      const timer = setTimeout(() => {
        this.waiting.delete(token);
        reject(new TimeoutError());
        this.endIfIdle();
      }, timeoutMs);
      this.waiting.set(token, { resolve, reject, timer, subject });
      try {
        if (this.sub === undefined) this.open();
        this.nc.publish(subject, data, { reply: this.base + token, headers });
      } catch (err) {
        this.waiting.delete(token);
        clearTimeout(timer);
        reject(err);
        this.endIfIdle();
      }
    });
  }

  /** Stops listening once nothing waits for a reply (a sync send still in flight gets its answer). */
  close(): void {
    this.closing = true;
    this.endIfIdle();
  }

  private endIfIdle(): void {
    if (!this.closing || this.waiting.size > 0 || this.sub === undefined) return;
    const sub = this.sub;
    this.sub = undefined;
    sub.unsubscribe();
  }

  private open(): void {
    const base = createInbox(inboxPrefixOf(this.nc)) + ".";
    const sub = this.nc.subscribe(base + "*", { callback: (err, msg) => this.deliver(sub, base, err, msg) });
    this.base = base;
    this.sub = sub;
    // the connection closing takes the subscription with it: nothing waiting will be answered
    void sub.closed.then(() => this.lost(sub, new Error("the NATS connection closed before the reply came")));
  }

  private deliver(sub: Subscription, base: string, err: Error | null, msg: Msg): void {
    if (err !== null) {
      // a permission violation or the like: this subscription is done; the next request opens another
      this.lost(sub, err);
      return;
    }
    const token = msg.subject.slice(base.length);
    const w = this.waiting.get(token);
    if (w === undefined) return; // answered after its timeout
    this.waiting.delete(token);
    clearTimeout(w.timer);
    if (msg.data.length === 0 && msg.headers?.code === 503) w.reject(new NoRespondersError(w.subject));
    else w.resolve(msg);
    this.endIfIdle();
  }

  /** The current subscription ended: what waits on it fails (a replaced one's end concerns nobody). */
  private lost(sub: Subscription, err: unknown): void {
    if (this.sub !== sub) return;
    this.sub = undefined;
    this.failAll(err);
  }

  private failAll(err: unknown): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}
