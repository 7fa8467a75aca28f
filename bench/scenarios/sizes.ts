/** How much each scenario does: `make bench` (full) or `make bench-quick`. */
export interface Sizes {
  produce: number;
  produceJetStream: number;
  latencySamples: number;
  e2eRate: number;
  e2eSeconds: number;
  backlog: number;
  /** Scale curves: each cell sends at most this many messages, and at most scaleBytes of bodies. */
  scaleMessages: number;
  scaleBytes: number;
  /** Scale curves: sends timed one in flight (per producer) in each cell, at most. */
  scaleSamples: number;
  /** (f) by log size: the commit-log sizes (GiB) at which the broker is killed and restarted. */
  restartLogGiB: number[];
  /** (h) timer lateness: timer messages, due at random times over timerWindowMs. */
  timers: number;
  timerWindowMs: number;
}

const MiB = 2 ** 20;
export const FULL: Sizes = {
  produce: 500_000, produceJetStream: 100_000, latencySamples: 5_000, e2eRate: 5_000, e2eSeconds: 10, backlog: 1_000_000,
  scaleMessages: 100_000, scaleBytes: 256 * MiB, scaleSamples: 500,
  restartLogGiB: [1, 4, 10],
  timers: 100_000, timerWindowMs: 60_000,
};
export const QUICK: Sizes = {
  produce: 30_000, produceJetStream: 5_000, latencySamples: 300, e2eRate: 5_000, e2eSeconds: 1, backlog: 30_000,
  scaleMessages: 5_000, scaleBytes: 16 * MiB, scaleSamples: 100,
  restartLogGiB: [1 / 16, 1 / 8],
  timers: 2_000, timerWindowMs: 3_000,
};
