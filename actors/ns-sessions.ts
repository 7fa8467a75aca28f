// Which process may speak for a broker replica. A NameServer accepts a
// registration only from the session it has verified for that (group,
// replica): a session it has not seen is checked by asking the replica's
// own subject, <address>.identity, for its fingerprint (under the shipped
// permissions only the replica's user can answer there). A new session
// that passes replaces the old one at once: it is the replica restarted.
//
// Probes are bounded: one in flight per replica (later registrations of
// the same session wait for it; another session is refused until it
// ends), `maxProbes` in flight in all, each ended by a timeout. stop()
// ends every probe and timer.
import { createInbox, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { decodeIdentity, decodeJson, encodeJson, type BrokerIdentity } from "../src/protocol/index.js";
import { fingerprintOf } from "../src/protocol/session.js";

export type Check =
  | { type: "verified" }
  /** The replica answered with another fingerprint, or nobody answered in time. */
  | { type: "forbidden"; reason: string }
  /** Too many probes in flight (here or in all): try again later. */
  | { type: "busy"; limit: "probesPerReplica" | "probes"; max: number };

/** Asks a replica who it is; undefined when nobody answers in time. */
export type Probe = (subject: string) => Promise<BrokerIdentity | undefined>;

interface InFlight {
  hash: string;
  result: Promise<Check>;
}

/** Mismatched sessions remembered, so a forger's repeats cost no probe. */
const MAX_REFUSED = 4096;

export class Sessions {
  private readonly verified = new Map<string, string>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly refused = new Set<string>();

  constructor(
    private readonly probe: Probe,
    private readonly maxProbes: number,
  ) {}

  /** The verified session's hash of a replica, if any. */
  hashOf(key: string): string | undefined {
    return this.verified.get(key);
  }

  /** The replica already answered with another fingerprint for this session. */
  isRefused(key: string, hash: string): boolean {
    return this.refused.has(`${key} ${hash}`);
  }

  /** Probes in flight for replicas not verified yet. */
  probing(): number {
    return this.inFlight.size;
  }

  /** Sync when the answer is known (the common heartbeat), a promise when a probe decides. */
  check(key: string, hash: string, identitySubject: string): Check | Promise<Check> {
    if (this.verified.get(key) === hash) return { type: "verified" };
    if (this.isRefused(key, hash)) return { type: "forbidden", reason: "the replica answered with another session's fingerprint" };
    const flying = this.inFlight.get(key);
    if (flying) return flying.hash === hash ? flying.result : { type: "busy", limit: "probesPerReplica", max: 1 };
    if (this.inFlight.size >= this.maxProbes) return { type: "busy", limit: "probes", max: this.maxProbes };
    const result = this.run(key, hash, identitySubject);
    this.inFlight.set(key, { hash, result });
    return result;
  }

  private async run(key: string, hash: string, subject: string): Promise<Check> {
    try {
      const id = await this.probe(subject);
      if (id === undefined) return { type: "forbidden", reason: `nobody answered on ${subject}` };
      if (`${id.group}.${id.replica}` !== key) return { type: "forbidden", reason: `${subject} answered for ${id.group}.${id.replica}` };
      if (id.fingerprint !== fingerprintOf(hash)) {
        if (this.refused.size >= MAX_REFUSED) this.refused.delete(this.refused.values().next().value!);
        this.refused.add(`${key} ${hash}`);
        return { type: "forbidden", reason: "the replica answered with another session's fingerprint" };
      }
      this.verified.set(key, hash);
      return { type: "verified" };
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** A probe of this very session is in flight: its later pages may wait for it. */
  checking(key: string, hash: string): boolean {
    return this.inFlight.get(key)?.hash === hash;
  }

  forget(key: string): void {
    this.verified.delete(key);
  }
}

/**
 * The NATS probe: one request on its own inbox (so the connection's inbox
 * prefix, and so the NameServer's permissions, apply) with its own timer;
 * stop() unsubscribes and clears every one still in flight.
 */
export function natsProbe(nc: NatsConnection, timeoutMs: number): { probe: Probe; stop(): void } {
  const open = new Set<{ sub: Subscription; timer: NodeJS.Timeout; done: (v: BrokerIdentity | undefined) => void }>();
  const prefix = (nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
  const probe: Probe = (subject) =>
    new Promise((resolve) => {
      const inbox = createInbox(prefix);
      const p = {
        sub: undefined as unknown as Subscription,
        timer: setTimeout(() => p.done(undefined), timeoutMs),
        done: (v: BrokerIdentity | undefined) => {
          if (!open.delete(p)) return;
          clearTimeout(p.timer);
          p.sub.unsubscribe();
          resolve(v);
        },
      };
      open.add(p);
      p.sub = nc.subscribe(inbox, {
        max: 1,
        callback: (err, msg) => {
          // A 503 status (no responders) has an empty body: not an identity.
          if (err || msg.headers?.hasError || msg.data.length === 0) return p.done(undefined);
          try {
            p.done(decodeIdentity(decodeJson(msg.data) as Record<string, unknown>));
          } catch {
            p.done(undefined);
          }
        },
      });
      try {
        nc.publish(subject, encodeJson({}), { reply: inbox });
      } catch {
        p.done(undefined);
      }
    });
  return {
    probe,
    stop() {
      for (const p of [...open]) p.done(undefined);
    },
  };
}
