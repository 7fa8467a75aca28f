// One replica's process in the harness: its store on its folder (timers
// on its own clock scope, so a crash kills them) and its replication on the
// fake network, with every replication event in the transcript and the
// checker. A restart is a new process: a new scope, store, transport and
// random stream (seeded by replica and incarnation, so runs replay).
import { startReplication, type AckLevel, type Failover, type Replication } from "../../actors/replication.js";
import { MessageStore, type StoreOptions } from "../../src/store/index.js";
import { mulberry32 } from "../chaos/prng.js";
import type { Checker } from "./checker.js";
import type { FakeNetwork } from "./fake-network.js";
import type { ScopedClock, SimClock } from "./sim-clock.js";
import type { Transcript } from "./transcript.js";

export interface ReplicaProcess {
  store: MessageStore;
  repl: Replication;
  scope: ScopedClock;
}

export interface GroupContext {
  replicas: number;
  seed: number;
  electionTimeoutMs: number;
  fetchMaxBytes: number;
  ack: AckLevel;
  failover: Failover;
  clock: SimClock;
  network: FakeNetwork;
  transcript: Transcript;
  checker: Checker;
}

export async function bootReplica(
  g: GroupContext, replica: number, dir: string, incarnation: number, isCurrent: (r: Replication) => boolean,
): Promise<ReplicaProcess> {
  const scope = g.clock.scope();
  const options: StoreOptions = {
    replicated: g.replicas > 1, timers: scope, now: g.clock.now,
    // in one process a crash keeps the page cache: fsync would only cost time
    fsync: async () => undefined,
    log: g.transcript.logger(replica, { component: "store" }),
    onError: (err) => g.transcript.add(replica, `store error: ${String(err)}`),
  };
  const store = await MessageStore.open(dir, options);
  const repl = startReplication({
    group: "g", replica, replicas: g.replicas, failover: g.failover, ack: g.ack,
    electionTimeoutMs: g.electionTimeoutMs, fetchMaxBytes: g.fetchMaxBytes, store, transport: g.network.transport(replica), clock: scope,
    random: mulberry32(g.seed * 7919 + replica * 131 + incarnation).next, log: g.transcript.logger(replica),
  });
  repl.on((e) => {
    // a crashed process's leftovers say nothing
    if (!isCurrent(repl)) return;
    g.checker.event(replica, e);
    const { at: _at, type, ...rest } = e;
    g.transcript.add(replica, `${type} ${Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  });
  g.transcript.add(replica, `up: end ${store.maxPhysicalOffset} commit ${store.commitOffset} lastTerm ${store.lastTerm} term ${repl.term()}`);
  return { store, repl, scope };
}
