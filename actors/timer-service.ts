// Runs the timer service on the master only: a run starts when the replica
// becomes writable (master, term begun) and stops when it stops being so.
// Role events start or stop it at once; a slow poll catches what no event
// announces (a master whose term is begun a moment after its role event).
import type { BrokerContext } from "./broker-context.js";
import type { TimerBackend, TimerStatus } from "./timer-api.js";
import { DEFAULT_MAX_PENDING_TIMERS } from "./timer-api.js";
import { TimerRun } from "./timer-run.js";

const POLL_MS = 250;
const PROGRESS_EVERY_MS = 1000;

export interface TimerService extends TimerBackend {
  stop(): Promise<void>;
}

export function startTimerService(ctx: BrokerContext, opts: { maxPending?: number } = {}): TimerService {
  let run: TimerRun | undefined;
  let stopping: Promise<void> | undefined;
  let closed = false;
  let poll: unknown;
  let deliveredBefore = 0;

  const begin = () => {
    const r = new TimerRun(ctx, {
      maxPending: opts.maxPending ?? DEFAULT_MAX_PENDING_TIMERS,
      progressEveryMs: PROGRESS_EVERY_MS,
      failed: (reason) => {
        ctx.log.warn("timer service restarts", { reason });
        void end();
      },
    });
    run = r;
    r.start().catch((err: unknown) => {
      ctx.log.error("timer service failed to start", { error: String(err) });
      if (run === r) void end();
    });
  };
  const end = (): Promise<void> => {
    const r = run;
    if (!r) return stopping ?? Promise.resolve();
    run = undefined;
    deliveredBefore += r.delivered;
    stopping = r.stop().finally(() => (stopping = undefined));
    return stopping;
  };
  const check = () => {
    if (closed || stopping) return;
    const master = ctx.isMaster();
    if (master && !run) begin();
    else if (!master && run) void end();
  };
  const unlisten = ctx.replication.on((e) => {
    if (e.type === "role") check();
  });
  const tick = () => {
    check();
    if (!closed) poll = ctx.clock.set(tick, POLL_MS);
  };
  tick();

  return {
    pendingCount: () => (run?.ready ? run.pendingCount() : 0),
    status(): TimerStatus {
      const r = run;
      return {
        running: r?.ready ?? false,
        pending: r?.ready ? r.pendingCount() : 0,
        delivered: deliveredBefore + (r?.delivered ?? 0),
        scanFrom: r?.scanFrom ?? 0,
        nextDueAt: r && r.pending.size > 0 ? r.pending.nextDue() : -1,
        lateness: r ? r.lateness.summary() : { p50: 0, p99: 0, max: 0, count: 0 },
      };
    },
    async stop() {
      closed = true;
      unlisten();
      ctx.clock.clear(poll);
      await end();
    },
  };
}
