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
import type { Role, RoleReason } from "../src/protocol/index.js";
import { ElectionState } from "../src/store/index.js";
import { MasterDuty } from "./replication-master.js";
import { MasterDiscovery } from "./replication-discovery.js";
import { serveReplication } from "./replication-serve.js";
import { transferMastership } from "./replication-transfer.js";
import type { Replication, ReplicationEvent, ReplicationOptions, ReplicationStatus } from "./replication-types.js";
import { SlaveDuty } from "./replication-slave.js";
import { syncConfig } from "./replication-config.js";

export type { AckLevel, Failover, Replication, ReplicationEvent, ReplicationOptions, ReplicationStatus } from "./replication-types.js";

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
  const onRole = (role: Role, term: number, m: number | null, reason: RoleReason) => {
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
          discovery.announce(term);
        }
        return;
      }
      master.deactivate();
      transferring = false;
      if (m !== null && m !== replica) slave.follow(m, term);
      else await slave.halt();
    });
  };

  const discovery = new MasterDiscovery({
    replica, replicas: opts.replicas, store, transport: opts.transport, clock, electionTimeoutMs: opts.electionTimeoutMs,
    requestTimeoutMs: fetchTimeoutMs, retryMs: Math.max(50, tickMs * 5),
    view: () => snapshot(),
    fetched: (r, term) => fetchSeen.get(r)?.term === term,
    stopped: () => stopped,
    send: (e) => actor.send(e),
  });

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
      if (request.preVote && !r.granted) void discovery.probeMaster();
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
  if (opts.failover === "auto" && opts.replicas > 1) void discovery.discover();

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
    transferTo: (target, timeoutMs) =>
      transferMastership({
        group: opts.group, replica, replicas: opts.replicas, clock, transport: opts.transport, master,
        view: () => snapshot(), status, pauseWrites: (on) => (transferring = on),
      }, target, timeoutMs),
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
