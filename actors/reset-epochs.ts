// Reset epochs (per consumer group and queue): each offset.reset starts a
// new one, and a commit carries the epoch its position was read under, so
// a position read before a reset (a listener finishing late, a commit in
// flight, a member that missed the notice) cannot overwrite the reset.
// Kept by the master in memory: an epoch is the reset's time (or one past
// the last), so after a restart every epoch a client holds is newer than
// the broker's 0 and commits go through as before any reset.

const key = (group: string, topic: string, queueId: number) => `${group}\u0000${topic}\u0000${queueId}`;

export class ResetEpochs {
  private readonly epochs = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The queue's epoch for the group: 0 when it was never reset here. */
  get(group: string, topic: string, queueId: number): number {
    return this.epochs.get(key(group, topic, queueId)) ?? 0;
  }

  /** Starts a new epoch for the queue, larger than any before it. */
  bump(group: string, topic: string, queueId: number): number {
    const epoch = Math.max(this.now(), this.get(group, topic, queueId) + 1);
    this.epochs.set(key(group, topic, queueId), epoch);
    return epoch;
  }

  /** Whether a commit read under `epoch` (absent: 0) is older than the queue's last reset. */
  stale(group: string, topic: string, queueId: number, epoch: number | undefined): boolean {
    return (epoch ?? 0) < this.get(group, topic, queueId);
  }
}
