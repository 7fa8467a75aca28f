// A broker context for the timer service alone: a real store in a temp
// folder on a simulated clock, one replica (ack leader), no NATS.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrokerContext } from "../../actors/broker-context.js";
import { createBrokerTimers, type TimerOptions } from "../../actors/timer-api.js";
import { startTimerService, type TimerService } from "../../actors/timer-service.js";
import { MessageStore } from "../../src/store/index.js";
import { silentLogger } from "../../src/runtime/log.js";
import type { Replication } from "../../actors/replication.js";
import { SimClock } from "../replication/sim-clock.js";

export interface TimerBench {
  clock: SimClock;
  dir: string;
  store: MessageStore;
  ctx: BrokerContext;
  service: TimerService;
  /** Stops the service and closes the store (crash: without a final flush of the offsets table). */
  stop(crash?: boolean): Promise<void>;
  /** A fresh context and service on the same folder and clock: a restart. */
  reopen(): Promise<TimerBench>;
  remove(): void;
}

export async function timerBench(opts: TimerOptions = {}, clock = new SimClock(), dir = mkdtempSync(join(tmpdir(), "rbus-timers-"))): Promise<TimerBench> {
  const store = await MessageStore.open(dir, { timers: clock, now: clock.now });
  const replication = { on: () => () => undefined, writable: () => true } as unknown as Replication;
  const ctx = {
    group: "g", replica: 0, store, clock, log: silentLogger, replication, replicas: 1, ack: "leader", commitTimeoutMs: 1000,
    isMaster: () => true, configChanged: () => undefined,
  } as unknown as BrokerContext;
  ctx.timers = createBrokerTimers(() => ctx, opts, () => service);
  const service = startTimerService(ctx, { ...(opts.maxPending ? { maxPending: opts.maxPending } : {}) });
  const bench: TimerBench = {
    clock, dir, store, ctx, service,
    async stop(crash = false) {
      await service.stop();
      if (crash) store.simulateCrash();
      else await store.close();
    },
    reopen: () => timerBench(opts, clock, dir),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return bench;
}
