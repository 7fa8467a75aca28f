// Messages acknowledged while the fuzz runs, and the check that every one
// is still readable afterwards: a normal send and pull, nothing lost. A
// writer sends on a topic the fuzz never names, to the single broker and
// to the replicated group's master (found again after every failover the
// fuzz causes); only acknowledged sends are counted.
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { decodeJson, encodeJson, Header, isErrorEnvelope, subjects, type PullReply } from "../../src/protocol/index.js";

const subj = subjects();
export const LEDGER_TOPIC = "fz-ledger-q7";
export const LEDGER_QUEUES = 2;

export interface Target {
  group: string;
  replicas: number;
}

interface Acked {
  queueId: number;
  queueOffset: number;
  body: string;
}

export class Ledger {
  readonly acked = new Map<string, Acked[]>();
  /** Sends not acknowledged, by replica and error. */
  readonly refused = new Map<string, number>();
  private master = new Map<string, number>();
  private n = 0;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly nc: NatsConnection, private readonly targets: Target[]) {
    for (const t of targets) this.acked.set(t.group, []);
  }

  /** Sends one message to each target; true when every target acknowledged it. */
  async sendOnce(): Promise<boolean> {
    const oks = await Promise.all(this.targets.map((t) => this.sendTo(t)));
    return oks.every(Boolean);
  }

  private async sendTo(t: Target): Promise<boolean> {
    const body = `ledger-${t.group}-${this.n++}`;
    const queueId = this.n % LEDGER_QUEUES;
    const at = this.master.get(t.group) ?? 0;
    const h = headers();
    h.set(Header.topic, LEDGER_TOPIC);
    h.set(Header.queue, String(queueId));
    try {
      const m = await this.nc.request(subj.broker(t.group, at, "send"), body, { headers: h, timeout: 5000 });
      const v = decodeJson(m.data) as { queueOffset?: number; error?: { code: string; details?: { masterReplica?: number } } };
      if (isErrorEnvelope(v)) {
        this.note(`${t.group}.${at} ${v.error.code}`);
        const hint = v.error.details?.masterReplica;
        this.master.set(t.group, typeof hint === "number" && hint >= 0 ? hint : (at + 1) % t.replicas);
        return false;
      }
      this.acked.get(t.group)!.push({ queueId, queueOffset: v.queueOffset!, body });
      return true;
    } catch (err) {
      this.note(`${t.group}.${at} ${(err as Error).name}`);
      this.master.set(t.group, (at + 1) % t.replicas);
      return false;
    }
  }

  private note(what: string): void {
    this.refused.set(what, (this.refused.get(what) ?? 0) + 1);
  }

  /** Keeps sending every `everyMs` until stop(). */
  start(everyMs = 40): void {
    this.running = (async () => {
      while (!this.stopped) {
        await this.sendOnce();
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  total(): number {
    return [...this.acked.values()].reduce((n, a) => n + a.length, 0);
  }

  /** Every acknowledged message of `group` read back from `replica`: what is missing or different (empty: nothing lost). */
  async missing(group: string, replica: number): Promise<string[]> {
    const stored = new Map<string, string>();
    for (let q = 0; q < LEDGER_QUEUES; q++) {
      let offset = 0;
      for (;;) {
        const req = { group: "ledger-reader", topic: LEDGER_TOPIC, queueId: q, offset, max: 1024 };
        const m = await this.nc.request(subj.broker(group, replica, "pull"), encodeJson(req), { timeout: 5000 });
        const r = decodeJson(m.data) as PullReply;
        if (isErrorEnvelope(r)) throw new Error(`pull of ${group}.${replica} ${LEDGER_TOPIC}/${q}@${offset}: ${JSON.stringify(r)}`);
        for (const msg of r.messages) stored.set(`${q}@${msg.queueOffset}`, msg.body);
        if (r.messages.length === 0 || r.nextOffset <= offset) break;
        offset = r.nextOffset;
      }
    }
    return this.acked.get(group)!.flatMap((a) => {
      const got = stored.get(`${a.queueId}@${a.queueOffset}`);
      return got === a.body ? [] : [`${a.body} at ${a.queueId}@${a.queueOffset}: ${got === undefined ? "missing" : `reads "${got}"`}`];
    });
  }
}
