// Leadership transfer (rbus failover): the master stops taking sends,
// waits until the target holds its whole log, then tells the target to
// campaign at once (ha.transfer); voters grant a transfer although they
// heard the master lately. No acknowledged send is lost: the target holds
// every one of them before it runs.
import { encodeJson, ErrorCode, RbusError, type Role } from "../src/protocol/index.js";
import type { Clock, GroupTransport } from "./group-transport.js";
import type { MasterDuty } from "./replication-master.js";
import type { ReplicationStatus } from "./replication-types.js";

export interface TransferContext {
  group: string;
  replica: number;
  replicas: number;
  clock: Clock;
  transport: GroupTransport;
  master: MasterDuty;
  view(): { role: Role; term: number; master: number | null };
  status(): ReplicationStatus;
  /** While on, this master takes no sends (they answer NOT_MASTER, and producers retry shortly). */
  pauseWrites(on: boolean): void;
}

export interface TransferOutcome {
  ok: boolean;
  master: number | null;
  term: number;
}

/** Hands mastership to `target` (the most caught-up follower when undefined) within timeoutMs. */
export async function transferMastership(c: TransferContext, target: number | undefined, timeoutMs: number): Promise<TransferOutcome> {
  const { clock } = c;
  const start = c.view();
  if (start.role !== "master") throw new RbusError(ErrorCode.NOT_MASTER, `replica ${c.replica} is not the master of ${c.group}`);
  const to = target ?? bestFollower(c.status());
  if (to === undefined || to === c.replica || to < 0 || to >= c.replicas) {
    throw new RbusError(ErrorCode.BAD_REQUEST, `no replica ${to ?? "(none caught up)"} to hand ${c.group} over to: pick one of 0..${c.replicas - 1} other than ${c.replica}`);
  }
  const outcome = (): TransferOutcome => {
    const v = c.view();
    return { ok: v.role !== "master" && v.master !== null, master: v.master, term: v.term };
  };
  c.pauseWrites(true);
  const deadline = clock.now() + timeoutMs;
  try {
    while (!c.master.caughtUp(to)) {
      if (clock.now() > deadline || c.view().role !== "master") return outcome();
      await sleep(clock, 10);
    }
    await c.transport.request(to, "ha.transfer", encodeJson({ term: start.term }), Math.max(100, deadline - clock.now()));
    // done once another replica is master and has announced itself (ha.begin)
    while ((c.view().role === "master" || c.view().master === null) && clock.now() < deadline) await sleep(clock, 10);
    return outcome();
  } finally {
    c.pauseWrites(false);
  }
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.set(() => resolve(), ms));
}

function bestFollower(s: ReplicationStatus): number | undefined {
  const sorted = [...s.followers].sort((a, b) => a.lagBytes - b.lagBytes || a.lastFetchAgoMs - b.lastFetchAgoMs);
  return sorted[0]?.replica;
}
