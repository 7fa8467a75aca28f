// One replica's part in its group: the role machine (slave, candidate,
// master) and the I/O it asks for. Like etcd raft, the machine decides and
// this file acts: it persists term and vote before any answer leaves,
// broadcasts vote requests, answers votes and fetches, and switches the
// master and slave duties on and off as the role changes.
//
// Order of effects on the master, for one send: append (store.put) →
// flush per policy → followers' fetches acknowledge → commit offset
// advances (MasterDuty) → held pulls wake (the store's onArrived) → the
// producer's reply (waitCommitted, under ack=quorum).
import { createActor, type Actor } from "xstate";
import { askVote, handleEffects, roleMachine } from "../machines/role.js";
import { decodeFetchReply, ErrorCode, RbusError, type Role } from "../src/protocol/index.js";
import { ElectionState, type MessageStore } from "../src/store/index.js";
import type { Logger } from "../src/runtime/log.js";
import { isGone, type Clock, type GroupTransport } from "./group-transport.js";
import { MasterDuty, type CommitOutcome } from "./replication-master.js";
import { serveReplication, type ConfigSource } from "./replication-serve.js";
import { SlaveDuty } from "./replication-slave.js";
import { syncConfig } from "./replication-config.js";

export type Failover = "auto" | "manual";
export type AckLevel = "quorum" | "leader";

export interface ReplicationOptions {
  group: string;
  replica: number;
  replicas: number;
  failover: Failover;
  ack: AckLevel;
  electionTimeoutMs: number;
  store: MessageStore;
  transport: GroupTransport;
  clock: Clock;
  random?: () => number;
  log: Logger;
  /** Topic configs and consumer offsets, copied from master to slaves. */
  config?: ConfigSource;
  /** The store fsyncs before each put resolves: count only what is on this replica's disk toward the majority. */
  syncFlush?: boolean;
  /** Largest chunk of log one fetch carries (default 4 MiB, at most what one message on the bus may carry). */
  fetchMaxBytes?: number;
  /** An inspector for the role machine (rbus.inspect.<node>). */
  inspect?: Parameters<typeof createActor>[1] extends infer O ? (O extends { inspect?: infer I } ? I : never) : never;
}

export type ReplicationEvent =
  | { type: "role"; role: Role; term: number; master: number | null; reason: string; at: number }
  | { type: "truncated"; from: number; to: number; term: number; at: number }
  | { type: "election"; outcome: "started" | "won"; term: number; preVote: boolean; transfer: boolean; votes: number; at: number };

export interface ReplicationStatus {
  role: Role;
  term: number;
  master: number | null;
  failover: Failover;
  ack: AckLevel;
  replicas: number;
  commit: number;
  end: number;
  /** On a slave: how far its log is behind the master's, by the master's last answer. */
  lagBytes: number;
  followers: Array<{ replica: number; end: number; lagBytes: number; lastFetchAgoMs: number }>;
}

export interface Replication {
  role(): Role;
  term(): number;
  master(): number | null;
  /** Whether sends may be taken now (master, and not handing over). */
  writable(): boolean;
  waitCommitted(end: number, timeoutMs: number): Promise<CommitOutcome>;
  status(): ReplicationStatus;
  on(listener: (e: ReplicationEvent) => void): () => void;
  transferTo(replica: number | undefined, timeoutMs: number): Promise<{ ok: boolean; master: number | null; term: number }>;
  /** The slave's lag behind its master in bytes (0 on the master). */
  lagBytes(): number;
  stop(): Promise<void>;
}

type RoleActor = Actor<typeof roleMachine>;

export function startReplication(opts: ReplicationOptions): Replication {
  const { store, clock, log, replica } = opts;
  const election = ElectionState.open(store.dir);
  const listeners = new Set<(e: ReplicationEvent) => void>();
  const publish = (e: ReplicationEvent) => {
    for (const l of listeners) l(e);
  };
  // fine ticks: random election timeouts that fall on the same tick would still collide
  const tickMs = Math.max(5, Math.floor(opts.electionTimeoutMs / 100));
  // A held fetch is answered within waitMs; one that is not answered soon after means the master is
  // paused, cut off or gone, and the next fetch finds out which (no responders: gone). Short holds keep
  // that discovery well inside the election timeout, for a few idle fetches a second; the answer has
  // half a base timeout for its round trip, so a slow link alone does not look like a dead master.
  const waitMs = Math.max(20, Math.min(250, Math.floor(opts.electionTimeoutMs / 4)));
  const fetchTimeoutMs = Math.max(50, Math.min(1000, Math.floor(opts.electionTimeoutMs / 2)));
  const master = new MasterDuty(store, opts.replicas, clock, opts.syncFlush ? () => store.flushedOffset : undefined);
  let actor: RoleActor;
  let transferring = false;
  let stopped = false;
  let appliedConfig = 0;
  let lastHeard = { term: -1, master: -1, at: 0 };
  /** When each follower's fetch was last passed to the machine (check-quorum needs one a tick at most). */
  const fetchSeen = new Map<number, { term: number; at: number }>();

  const slave = new SlaveDuty({
    replica, store, transport: opts.transport, clock, log: log.child({ component: "fetch" }),
    maxBytes: opts.fetchMaxBytes ?? 4 * 1024 * 1024, waitMs, timeoutMs: fetchTimeoutMs, visibleToEnd: opts.failover === "manual",
    events: {
      heard: (term, m) => {
        // the machine needs to know it heard its master within a timeout, not of every answer: one event a tick
        const now = clock.now();
        if (term === lastHeard.term && m === lastHeard.master && now - lastHeard.at < tickMs) return;
        lastHeard = { term, master: m, at: now };
        actor.send({ type: "MASTER_HEARD", term, master: m });
      },
      gone: (m, term) => actor.send({ type: "MASTER_GONE", master: m, term }),
      higherTerm: (term, m) => actor.send({ type: "HIGHER_TERM", term, master: m >= 0 ? m : null }),
      truncated: (from, to, term) => publish({ type: "truncated", from, to, term, at: clock.now() }),
      configChanged: (version) => {
        if (version === appliedConfig || !opts.config) return;
        appliedConfig = version;
        void syncConfig(opts.transport, slave.following, opts.config, log).catch(() => (appliedConfig = 0));
      },
    },
  });

  const snapshot = () => {
    const snap = actor.getSnapshot();
    const c = snap.context;
    const role: Role = snap.matches("master") ? "master" : snap.matches("candidate") ? "candidate" : "slave";
    return { role, term: c.term, master: c.master };
  };

  actor = createActor(roleMachine, {
    id: "role",
    input: {
      replica, replicas: opts.replicas, failover: opts.failover, electionTimeoutMs: opts.electionTimeoutMs,
      random: opts.random ?? Math.random, term: election.term, votedFor: election.votedFor,
    },
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
  });
  const unhandle = handleEffects(actor, {
    // term and vote on disk before any answer or request that depends on them leaves
    persist: (e) => {
      if (opts.replicas > 1) return election.save(e.term, e.votedFor);
      // a group of one needs no durable vote (nobody else votes): a full disk must not stop it serving
      try {
        election.save(e.term, e.votedFor);
      } catch (err) {
        log.warn("the election state cannot be saved; a single replica goes on without it", { error: String(err) });
      }
    },
    requestVotes: (e) => {
      publish({ type: "election", outcome: "started", term: e.term, preVote: e.preVote, transfer: e.transfer, votes: 1, at: clock.now() });
      const request = { from: replica, term: e.term, preVote: e.preVote, transfer: e.transfer, lastTerm: store.lastTerm, lastOffset: store.maxPhysicalOffset };
      serving.broadcastVote(request, opts.electionTimeoutMs, (reply) => {
        if (!stopped) actor.send({ type: "VOTE_RESPONSE", ...reply, master: reply.master >= 0 ? reply.master : null });
      });
    },
    roleChanged: (e) => {
      if (e.role === "master" && opts.replicas > 1 && opts.failover === "auto") {
        const votes = actor.getSnapshot().context.granted.length;
        publish({ type: "election", outcome: "won", term: e.term, preVote: false, transfer: e.reason === "transfer", votes, at: clock.now() });
      }
      onRole(e.role, e.term, e.master, e.reason);
    },
    // a vote that cannot be made durable must not be given: this replica leaves the elections for good
    failed: (err) => {
      log.error("the election state cannot be saved: this replica stops taking part in elections; fix the disk and restart it", { error: String(err) });
      master.deactivate();
      void slave.halt();
    },
  });

  let roleChange = Promise.resolve();
  const onRole = (role: Role, term: number, m: number | null, reason: string) => {
    roleChange = roleChange.then(async () => {
      if (stopped) return;
      log.info("role changed", { role, term, master: m, reason });
      publish({ type: "role", role, term, master: m, reason, at: clock.now() });
      if (role === "master") {
        await slave.halt();
        // Raft's no-op: a record of the new term, so the older tail commits with it.
        // A group of one commits on its own append and needs none.
        const { end } = opts.replicas > 1 && store.lastTerm < term ? await store.startTerm(term) : (store.setTerm(term), { end: store.maxPhysicalOffset });
        if (end < 0) {
          // the term-start record could not be written (a full disk): let a replica that can take over
          log.error("cannot start the term (the term-start record was refused); stepping down", { term });
          actor.send({ type: "STEP_DOWN" });
          return;
        }
        if (snapshot().role === "master" && snapshot().term === term) {
          master.activate(end);
          announce(term);
        }
        return;
      }
      master.deactivate();
      transferring = false;
      if (m !== null && m !== replica) slave.follow(m, term);
      else await slave.halt();
    });
  };

  /**
   * Tells every other replica that this one is master of `term`, so that
   * each starts fetching at once; repeated until that replica has fetched
   * (it may still be starting), or this term's mastership ends. A slave
   * that never heard would campaign and depose a healthy master.
   */
  const announce = (term: number) => {
    const body = new TextEncoder().encode(JSON.stringify({ term, master: replica }));
    const until = clock.now() + 4 * opts.electionTimeoutMs;
    const still = () => !stopped && snapshot().role === "master" && snapshot().term === term && clock.now() < until;
    const tell = (r: number) => {
      if (!still() || fetchSeen.get(r)?.term === term) return;
      opts.transport.request(r, "ha.begin", body, fetchTimeoutMs).then(
        () => undefined,
        () => clock.set(() => tell(r), Math.max(50, tickMs * 5)),
      );
    };
    for (let r = 0; r < opts.replicas; r++) if (r !== replica) tell(r);
  };

  /**
   * A replica that starts knows no master, and would wait out a whole
   * election timeout to learn it from its pre-vote's refusals. It asks
   * every other replica's ha.fetch once instead: the master answers with
   * its own word (the machine follows only that), the others say nothing useful.
   */
  const discover = async () => {
    const ask = { replica, term: snapshot().term, offset: store.maxPhysicalOffset, lastTerm: store.lastTerm, maxBytes: 1, waitMs: 0 };
    const body = new TextEncoder().encode(JSON.stringify(ask));
    await Promise.all(
      Array.from({ length: opts.replicas }, (_, r) => r)
        .filter((r) => r !== replica)
        .map(async (r) => {
          const head = await opts.transport.request(r, "ha.fetch", body, fetchTimeoutMs).then((d) => decodeFetchReply(d).head, () => undefined);
          if (stopped || !head || head.status === "NOT_MASTER" || head.master !== r) return;
          actor.send({ type: "MASTER_HEARD", term: head.term, master: r });
        }),
    );
  };

  /**
   * Someone asks for a pre-vote while this replica still hears its master:
   * it may know something we do not yet (our own fetch may be waiting on a
   * master that died holding it). One fetch that may not be held finds out
   * at once: no responders means the master is gone, and our next answer
   * is yes instead of a fetch timeout later.
   */
  let probing = false;
  const probeMaster = async () => {
    const { role, term, master: m } = snapshot();
    if (probing || role !== "slave" || m === null || m === replica) return;
    probing = true;
    const ask = { replica, term, offset: store.maxPhysicalOffset, lastTerm: store.lastTerm, maxBytes: 1, waitMs: 0 };
    try {
      await opts.transport.request(m, "ha.fetch", new TextEncoder().encode(JSON.stringify(ask)), fetchTimeoutMs);
    } catch (err) {
      if (isGone(err) && !stopped) actor.send({ type: "MASTER_GONE", master: m, term });
    } finally {
      probing = false;
    }
  };

  const serving = serveReplication({
    replica, store, transport: opts.transport, master, config: opts.config, log,
    term: () => snapshot().term,
    role: () => snapshot().role,
    masterId: () => snapshot().master,
    send: (e) => {
      if (e.type === "FOLLOWER_FETCH") {
        const now = clock.now();
        const seen = fetchSeen.get(e.replica);
        if (seen && seen.term === e.term && now - seen.at < tickMs) return;
        fetchSeen.set(e.replica, { term: e.term, at: now });
      }
      actor.send(e);
    },
    voteReply: (request) => {
      const r = askVote(actor, { ...request, local: { lastTerm: store.lastTerm, lastOffset: store.maxPhysicalOffset } });
      if (request.preVote && !r.granted) void probeMaster();
      return { from: replica, term: r.term, granted: r.granted, preVote: r.preVote, master: r.master ?? -1 };
    },
  });

  let lastRole: Extract<ReplicationEvent, { type: "role" }> | undefined;
  listeners.add((e) => {
    if (e.type === "role") lastRole = e;
  });
  const unwatch = opts.transport.onConnection((up) => {
    actor.send({ type: up ? "RECONNECTED" : "DISCONNECTED" });
    // a role change made while cut off was published into a dead connection: say it again
    if (up && lastRole) publish({ ...lastRole, at: clock.now() });
  });
  let last = clock.now();
  let ticker: unknown;
  // A tick that comes very late means this process was not running (SIGSTOP, a stalled host), not
  // that its master was silent: the messages that waited meanwhile are handled before this timer. So a
  // tick counts for at most a quarter of the election timeout, as one replica's own pause must not
  // start an election against a master that is fine (a paused master still steps down: the higher
  // terms it finds waiting depose it, and check-quorum follows within a timeout).
  const maxTickMs = Math.max(tickMs, Math.floor(opts.electionTimeoutMs / 4));
  const tick = () => {
    const now = clock.now();
    actor.send({ type: "TICK", elapsedMs: Math.min(now - last, maxTickMs) });
    last = now;
    if (!stopped) ticker = clock.set(tick, tickMs);
  };
  actor.start();
  ticker = clock.set(tick, tickMs);
  if (opts.failover === "auto" && opts.replicas > 1) void discover();

  const status = (): ReplicationStatus => {
    const c = snapshot();
    const end = store.maxPhysicalOffset;
    const now = clock.now();
    return {
      role: c.role, term: c.term, master: c.master, failover: opts.failover, ack: opts.ack, replicas: opts.replicas,
      commit: store.commitOffset, end, lagBytes: c.role === "master" ? 0 : Math.max(0, slave.masterEnd - end),
      followers: c.role !== "master" ? [] : master.followerStates().map((f) => ({
        replica: f.replica, end: f.end, lagBytes: Math.max(0, end - f.end), lastFetchAgoMs: now - f.at,
      })),
    };
  };

  return {
    role: () => snapshot().role,
    term: () => snapshot().term,
    master: () => snapshot().master,
    writable: () => snapshot().role === "master" && master.isActive && !transferring,
    waitCommitted: (end, timeoutMs) => master.waitCommitted(end, timeoutMs),
    status,
    lagBytes: () => status().lagBytes,
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async transferTo(target, timeoutMs) {
      const c = snapshot();
      if (c.role !== "master") throw new RbusError(ErrorCode.NOT_MASTER, `replica ${replica} is not the master of ${opts.group}`);
      const to = target ?? bestFollower(status());
      if (to === undefined || to === replica || to < 0 || to >= opts.replicas) {
        throw new RbusError(ErrorCode.BAD_REQUEST, `no replica ${to ?? "(none caught up)"} to hand ${opts.group} over to: pick one of 0..${opts.replicas - 1} other than ${replica}`);
      }
      transferring = true;
      const deadline = clock.now() + timeoutMs;
      try {
        // no new sends are taken; the target catches up with everything acknowledged so far
        while (!master.caughtUp(to)) {
          if (clock.now() > deadline || snapshot().role !== "master") return { ok: false, master: snapshot().master, term: snapshot().term };
          await sleep(clock, 10);
        }
        await opts.transport.request(to, "ha.transfer", new TextEncoder().encode(JSON.stringify({ term: c.term })), Math.max(100, deadline - clock.now()));
        // done once another replica is master and has announced itself (ha.begin)
        while ((snapshot().role === "master" || snapshot().master === null) && clock.now() < deadline) await sleep(clock, 10);
        return { ok: snapshot().role !== "master", master: snapshot().master, term: snapshot().term };
      } finally {
        transferring = false;
      }
    },
    async stop() {
      stopped = true;
      clock.clear(ticker);
      unwatch();
      unhandle();
      serving.stop();
      master.stop();
      await slave.halt();
      await roleChange;
      actor.stop();
    },
  };
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.set(() => resolve(), ms));
}

function bestFollower(s: ReplicationStatus): number | undefined {
  const sorted = [...s.followers].sort((a, b) => a.lagBytes - b.lagBytes || a.lastFetchAgoMs - b.lastFetchAgoMs);
  return sorted[0]?.replica;
}
