// A token bucket: `burst` tokens, refilled at `perSecond`; each accepted
// event takes one. Pure: the caller passes the time.
export interface Bucket {
  tokens: number;
  at: number;
}

export interface BucketLimits {
  burst: number;
  perSecond: number;
}

export const fullBucket = (limits: BucketLimits, now: number): Bucket => ({ tokens: limits.burst, at: now });

/** Takes a token if there is one; false: the event is over the rate. Changes `b` in place. */
export function take(b: Bucket, limits: BucketLimits, now: number): boolean {
  const elapsed = Math.max(0, now - b.at);
  b.tokens = Math.min(limits.burst, b.tokens + (elapsed * limits.perSecond) / 1000);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

/**
 * Buckets by key, at most `max` of them: the oldest is dropped first (it
 * would be full again by now, or its owner is gone), so that names an
 * attacker makes up cannot grow the table.
 */
export class Buckets {
  private readonly map = new Map<string, Bucket>();
  constructor(
    private readonly limits: BucketLimits,
    private readonly max: number,
  ) {}

  take(key: string, now: number): boolean {
    let b = this.map.get(key);
    if (b) this.map.delete(key);
    else {
      b = fullBucket(this.limits, now);
      if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    }
    this.map.set(key, b); // most recently used last
    return take(b, this.limits, now);
  }

  forget(key: string): void {
    this.map.delete(key);
  }
}
