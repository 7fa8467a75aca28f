// What a NameServer checks before a registration or an unregister changes
// its table (docs/protocol.md, "What a NameServer checks"):
// 1. the address is the replica's own subject prefix (else BAD_REQUEST);
// 2. the broker cap: a replica not in the table is refused when the table is
//    full (LIMIT_EXCEEDED);
// 3. the rate: a token bucket per replica for its verified session, and
//    another for sessions still to verify, so a forger's flood cannot use
//    up the real replica's (LIMIT_EXCEEDED);
// 4. the session: verified by the replica's identity (FORBIDDEN otherwise);
// 5. pages: a registration split in pages is applied once all are in.
// Each decision is O(1) in the number of brokers registered.
import { Buckets, type BucketLimits } from "../machines/token-bucket.js";
import { PageCollector } from "../machines/registration-pages.js";
import { brokerKey } from "../machines/nameserver.js";
import {
  BadRequestError,
  ErrorCode,
  RbusError,
  type BrokerRegistration,
  type ErrorDetails,
  type NameServerLimits,
  type RegistrationRequest,
  type Subjects,
  type UnregisterRequest,
} from "../src/protocol/index.js";
import { fingerprintOf, sessionHash } from "../src/protocol/session.js";
import type { Refusals } from "./ns-refusals.js";
import type { Check, Sessions } from "./ns-sessions.js";

export const DEFAULT_NAMESERVER_LIMITS: NameServerLimits = {
  maxBrokers: 1024,
  registrationBurst: 20,
  registrationsPerSecond: 5,
  maxProbes: 64,
  probeTimeoutMs: 1000,
};

/** What to apply: the registration as the table keeps it (no session), or nothing yet (more pages to come). */
export type Admitted = { registration: BrokerRegistration; fingerprint: string; restarted: boolean } | undefined;

export interface AdmissionDeps {
  subj: Subjects;
  limits: NameServerLimits;
  sessions: Sessions;
  refusals: Refusals;
  /** The table's size, and whether it holds this replica (and its topics). */
  size(): number;
  known(key: string): BrokerRegistration | undefined;
  now(): number;
}

export class Admission {
  private readonly trusted: Buckets;
  private readonly untrusted: Buckets;
  private readonly pages = new PageCollector();

  constructor(private readonly d: AdmissionDeps) {
    const rate: BucketLimits = { burst: d.limits.registrationBurst, perSecond: d.limits.registrationsPerSecond };
    this.trusted = new Buckets(rate, Math.max(16, 2 * d.limits.maxBrokers));
    this.untrusted = new Buckets(rate, Math.max(16, 2 * d.limits.maxBrokers));
  }

  register(req: RegistrationRequest): Admitted | Promise<Admitted> {
    const { group, replica } = req;
    const own = this.d.subj.brokerBase(group, replica);
    // Producers and consumers send to the address a route gives: it must be the replica's own
    // subject prefix, never a sink elsewhere or a wildcard.
    if (req.address !== own) {
      throw new BadRequestError(`"address" must be ${own}, the subject prefix of ${group}.${replica}; got "${req.address}"`);
    }
    const key = brokerKey(group, replica);
    const hash = sessionHash(req.session);
    const fields = { group, replica, fingerprint: fingerprintOf(hash) };
    const isNew = this.d.known(key) === undefined;
    const { maxBrokers } = this.d.limits;
    if (isNew && this.d.size() + this.d.sessions.probing() >= maxBrokers) {
      throw this.limited("brokers", maxBrokers, `this NameServer holds ${maxBrokers} broker replicas, its limit`, fields);
    }
    const verified = this.d.sessions.hashOf(key) === hash;
    // A forger repeating a session already refused costs nothing, not even a token of the replica's.
    if (!verified && this.d.sessions.isRefused(key, hash)) throw this.forbidden("the replica answered with another session's fingerprint", fields);
    if ((req.page ?? 0) === 0) {
      const lane = verified ? this.trusted : this.untrusted;
      if (!lane.take(key, this.d.now())) {
        const { registrationBurst: burst, registrationsPerSecond: perSecond } = this.d.limits;
        throw this.limited("registrationsPerSecond", perSecond, `more than ${perSecond} registrations a second (burst ${burst}) for ${key}`, { ...fields, burst });
      }
    } else if (!verified && !this.d.sessions.checking(key, hash)) {
      throw this.forbidden("a later page of a registration whose session is not verified", fields);
    }
    const restarted = !verified && this.d.sessions.hashOf(key) !== undefined;
    const check = this.d.sessions.check(key, hash, this.d.subj.broker(group, replica, "identity"));
    const decide = (c: Check) => this.decide(req, key, c, restarted, fields);
    return check instanceof Promise ? check.then(decide) : decide(check);
  }

  private decide(req: RegistrationRequest, key: string, c: Check, restarted: boolean, fields: ErrorDetails): Admitted {
    if (c.type === "busy") throw this.limited(c.limit, c.max, `an identity check is in flight (${c.limit}, at most ${c.max}); register again later`, fields);
    if (c.type === "forbidden") throw this.forbidden(c.reason, fields);
    const known = this.d.known(key);
    if (known === undefined && this.d.size() >= this.d.limits.maxBrokers) {
      this.d.sessions.forget(key);
      throw this.limited("brokers", this.d.limits.maxBrokers, `this NameServer holds ${this.d.limits.maxBrokers} broker replicas, its limit`, fields);
    }
    if ((req.page ?? 0) > 0 && !this.pages.holds(key, req.seq)) {
      // Its first page was refused (over the rate) or lost: the whole registration must come again.
      throw new BadRequestError(`page ${req.page} of registration ${req.seq} came without its first page; register again`);
    }
    const { session: _secret, seq: _seq, page: _page, pages: _pages, ...registration } = req;
    const topics = this.pages.add(key, req);
    if (topics === undefined && req.page === (req.pages ?? 1) - 1) {
      // The last page is the one acknowledged: it must not say "registered" over a page lost on the way.
      throw new BadRequestError(`registration ${req.seq} is missing pages; register again`);
    }
    if (topics !== undefined) return { registration: { ...registration, topics }, fingerprint: fields.fingerprint as string, restarted };
    // More pages to come: the rest of the registration counts now, with the topics the table had.
    return known ? { registration: { ...registration, topics: known.topics }, fingerprint: fields.fingerprint as string, restarted } : undefined;
  }

  /** Passes when `req` carries the session registered for its replica; throws FORBIDDEN otherwise. */
  unregister(req: UnregisterRequest): void {
    const key = brokerKey(req.group, req.replica);
    const hash = sessionHash(req.session);
    if (this.d.sessions.hashOf(key) !== hash) {
      throw this.forbidden("unregister with another session than the registered one", { group: req.group, replica: req.replica, what: "unregister" });
    }
  }

  /** The replica left the table: its session, buckets and pages go too. */
  forget(key: string): void {
    this.d.sessions.forget(key);
    this.trusted.forget(key);
    this.untrusted.forget(key);
    this.pages.forget(key);
  }

  private forbidden(reason: string, fields: ErrorDetails): RbusError {
    this.d.refusals.note("forbidden", reason, fields);
    return new RbusError(ErrorCode.FORBIDDEN, `refused: ${reason}`, { ...fields, reason });
  }

  private limited(limit: string, max: number, message: string, fields: ErrorDetails): RbusError {
    this.d.refusals.note("limited", limit, fields);
    return new RbusError(ErrorCode.LIMIT_EXCEEDED, message, { ...fields, limit, max });
  }
}
