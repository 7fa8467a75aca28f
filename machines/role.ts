// One replica's role in its broker group: slave → candidate → master.
//
// Pure and ticked, like machines/liveness.ts and etcd raft's tickElection:
// the machine reads no clock, owns no timer and touches neither disk nor
// network. The replica's actor ticks it, feeds it what it hears, and carries
// out what it emits (xstate `emit`, listened to with `actor.on(type, …)`),
// in the order emitted, like etcd raft's Ready:
//   persist       — fsync {term, votedFor} BEFORE sending anything that follows it;
//   requestVotes  — broadcast a vote request with the log's lastTerm/lastOffset;
//   voteReply     — answer the request being handled (emitted during send());
//   roleChanged   — start or stop serving as master, fetch from the new master,
//                   register and publish the change.
// The rules, and the events and effects with their shapes, live in
// machines/role-rules.ts.
import { assign, enqueueActions, setup, type Actor, type SnapshotFrom } from "xstate";
import { claim, classifyReply, decideVote, isNewMaster, isSameMaster, lostVotes, masterGoneNow, quorumActive, randomTimeout, wonVotes } from "./role-rules.js";
import type { PersistEffect, PublicRole, RequestVotesEffect, Role, RoleChangedEffect, RoleContext, RoleEmitted, RoleEvent, RoleInput, RoleReason, VoteReplyEffect, VoteRequest } from "./role-rules.js";

export { describeRole, isUpToDate, quorumActive, randomTimeout } from "./role-rules.js";
export type * from "./role-rules.js";

type Ctx = { context: RoleContext; event: RoleEvent };
const auto = ({ context }: Ctx) => context.failover === "auto";
const ev = <T extends RoleEvent["type"]>(event: RoleEvent, _type: T) => event as Extract<RoleEvent, { type: T }>;
const tickMs = (event: RoleEvent) => (event.type === "TICK" ? event.elapsedMs : 0);
const leased = (c: RoleContext) => c.master !== null && !c.masterGone && c.elapsedMs < c.electionTimeoutMs;
const fresh = (c: RoleContext) => ({ elapsedMs: 0, timeoutMs: randomTimeout(c.electionTimeoutMs, c.random) });
/**
 * A campaign's own timeout. When NATS said the master is gone, a split vote
 * is retried after [base/4, base/2), not a whole base or two: nobody else
 * can be master, so waiting longer only delays the group.
 */
const campaignClock = (c: RoleContext) =>
  c.masterGone ? { elapsedMs: 0, timeoutMs: randomTimeout(Math.max(1, Math.floor(c.electionTimeoutMs / 4)), c.random) } : fresh(c);
const follow = (reason: RoleReason) => ({ type: "follow", params: { reason } }) as const;
const report = (role: PublicRole) => ({ type: "report", params: { role } }) as const;
const answer = (role: Role) => ({ type: "answerVote", params: { role } }) as const;
const because = (reason: RoleReason) => ({ type: "because", params: { reason } }) as const;

export const roleMachine = setup({
  types: { input: {} as RoleInput, context: {} as RoleContext, events: {} as RoleEvent, emitted: {} as RoleEmitted },
  actions: {
    count: assign(({ context, event }) => ({ elapsedMs: context.elapsedMs + tickMs(event) })),
    heard: assign({ elapsedMs: 0, masterGone: false }),
    markGone: assign({ masterGone: true }),
    /**
     * NATS says the master is gone: campaign after a random part of half a
     * base timeout, not at once. Slaves whose fetches ran in step learn it
     * in the same millisecond; campaigning together, they would split the vote.
     */
    campaignSoon: assign(({ context }) => ({
      masterGone: true,
      timeoutMs: Math.min(context.timeoutMs, context.elapsedMs + Math.floor(context.random() * (context.electionTimeoutMs / 2))),
    })),
    pause: assign({ paused: true }),
    resume: assign({ paused: false, elapsedMs: 0 }),
    because: assign((_, params: { reason: RoleReason }) => ({ reason: params.reason })),
    dropMaster: assign({ master: null }),
    /** Take on the term and master an event claims: a higher term clears the vote. */
    follow: enqueueActions(({ context, event, enqueue }, params: { reason: RoleReason }) => {
      const c = claim(event)!;
      if (c.term > context.term) {
        enqueue.assign({ term: c.term, votedFor: null });
        enqueue.emit({ type: "persist", term: c.term, votedFor: null });
      }
      enqueue.assign({ ...fresh(context), master: c.master, masterGone: false, campaign: null, reason: params.reason });
    }),
    answerVote: enqueueActions(({ context, event, enqueue }, params: { role: Role }) => {
      const req = ev(event, "VOTE_REQUEST");
      const view = { ...context, role: params.role, inLease: params.role === "slave" && leased(context), manual: !auto({ context, event }) };
      const d = decideVote(view, req);
      enqueue.assign({ term: d.term, votedFor: d.votedFor, master: d.master });
      if (d.adopted) enqueue.assign({ ...fresh(context), masterGone: false, reason: d.deposed && req.transfer ? "transfer" : "higher-term" });
      else if (d.granted && !req.preVote) enqueue.assign({ elapsedMs: 0 });
      if (d.term !== context.term || d.votedFor !== context.votedFor) enqueue.emit({ type: "persist", term: d.term, votedFor: d.votedFor });
      enqueue.emit({ type: "voteReply", to: req.from, term: d.replyTerm, granted: d.granted, preVote: req.preVote, master: d.replyMaster });
    }),
    prepareTransfer: assign(({ context, event }) => ({ term: Math.max(context.term, ev(event, "TRANSFER_NOW").term), transfer: true })),
    startPreVote: enqueueActions(({ context, enqueue }) => {
      const campaign = { term: context.term + 1, preVote: true, transfer: false };
      enqueue.assign({ ...campaignClock(context), master: null, campaign, transfer: false, granted: [context.replica], rejected: [], hint: null });
      if (context.replicas > 1) enqueue.emit({ type: "requestVotes", ...campaign });
    }),
    startVote: enqueueActions(({ context, enqueue }) => {
      const term = context.term + 1;
      const campaign = { term, preVote: false, transfer: context.transfer };
      enqueue.assign({ ...campaignClock(context), term, votedFor: context.replica, master: null, campaign, granted: [context.replica], rejected: [], hint: null });
      enqueue.emit({ type: "persist", term, votedFor: context.replica });
      if (context.replicas > 1) enqueue.emit({ type: "requestVotes", ...campaign });
    }),
    tally: assign(({ context, event }) => {
      const r = ev(event, "VOTE_RESPONSE");
      const add = (list: number[]) => (list.includes(r.from) ? list : [...list, r.from]);
      if (r.granted) return { granted: add(context.granted) };
      const named = r.master !== null && r.master !== context.replica && r.term === context.term;
      return { rejected: add(context.rejected), hint: named ? r.master : context.hint };
    }),
    followHint: assign(({ context }) => ({ master: context.hint, reason: "follow" as const })),
    wonReason: assign(({ context }) => ({ reason: context.campaign?.transfer ? ("transfer" as const) : ("elected" as const) })),
    takeOffice: assign(({ context }) => ({
      master: context.replica, campaign: null, elapsedMs: 0, masterGone: false, heardFrom: new Array<number>(context.replicas).fill(0),
    })),
    settle: assign(({ context }) => ({ ...fresh(context), campaign: null })),
    ageFollowers: assign(({ context, event }) => ({
      elapsedMs: context.elapsedMs + tickMs(event),
      heardFrom: context.heardFrom.map((ms, r) => (r === context.replica ? 0 : ms + tickMs(event))),
    })),
    fetched: assign(({ context, event }) => {
      const f = ev(event, "FOLLOWER_FETCH");
      return { heardFrom: context.heardFrom.map((ms, r) => (r === f.replica ? 0 : ms)) };
    }),
    /** Tell the actor when what the world should see (role, term, master) changed. */
    report: enqueueActions(({ context, enqueue }, params: { role: PublicRole }) => {
      const now = { role: params.role, term: context.term, master: context.master };
      const was = context.reported;
      if (was && was.role === now.role && was.term === now.term && was.master === now.master) return;
      enqueue.emit({ type: "roleChanged", ...now, reason: context.reason });
      enqueue.assign({ reported: now });
    }),
  },
  guards: {
    auto,
    paused: ({ context }) => context.paused,
    timedOut: ({ context, event }) => context.elapsedMs + tickMs(event) >= context.timeoutMs,
    manualMaster: ({ context }) => context.failover === "manual" && context.replica === 0,
    manual: ({ context }) => context.failover === "manual",
    alone: ({ context }) => context.replicas === 1,
    /** A follower's fetch in this master's own term: it counts as hearing from that follower. */
    currentTerm: ({ context, event }) => ev(event, "FOLLOWER_FETCH").term === context.term,
    higherTerm: ({ context, event }) => auto({ context, event }) && (claim(event)?.term ?? -1) > context.term,
    newMaster: ({ context, event }) => auto({ context, event }) && isNewMaster(context, claim(event)),
    sameMaster: ({ context, event }) => isSameMaster(context, claim(event)),
    goneNow: ({ context, event }) => auto({ context, event }) && masterGoneNow(context, ev(event, "MASTER_GONE")),
    /** A real vote from a higher term: a candidate or master takes the term on and steps down (it holds no lease). */
    voteDeposes: ({ context, event }) => {
      const req = ev(event, "VOTE_REQUEST");
      return auto({ context, event }) && !req.preVote && req.term > context.term && req.from !== context.replica;
    },
    outvoted: ({ context, event }) => classifyReply(context, ev(event, "VOTE_RESPONSE")) === "higher-term",
    masterRefused: ({ context, event }) => classifyReply(context, ev(event, "VOTE_RESPONSE")) === "master-refused",
    counts: ({ context, event }) => classifyReply(context, ev(event, "VOTE_RESPONSE")) === "counts",
    won: ({ context }) => wonVotes(context.granted, context.replicas),
    lost: ({ context }) => lostVotes(context.rejected, context.replicas),
    quorumLost: ({ context, event }) =>
      !quorumActive(context.heardFrom.map((ms) => ms + tickMs(event)), context.replica, context.electionTimeoutMs),
    canTransfer: ({ context, event }) => auto({ context, event }) && ev(event, "TRANSFER_NOW").term >= context.term,
  },
}).createMachine({
  id: "role",
  context: ({ input }) => ({
    ...input, master: null, elapsedMs: 0, timeoutMs: randomTimeout(input.electionTimeoutMs, input.random), campaign: null,
    granted: [], rejected: [], hint: null, heardFrom: [], paused: false, masterGone: false, transfer: false, reason: "started", reported: null,
  }),
  initial: "starting",
  on: { DISCONNECTED: { actions: "pause" }, RECONNECTED: { actions: "resume" } },
  states: {
    starting: {
      always: [
        { guard: "manualMaster", target: "master" },
        { guard: "manual", target: "slave", actions: assign({ master: 0 }) },
        { guard: "alone", target: "candidate.voting" },
        { target: "slave" },
      ],
    },
    slave: {
      entry: ["settle", report("slave")],
      on: {
        TICK: [{ guard: "paused" }, { guard: "manual", actions: "count" }, { guard: "timedOut", target: "candidate", actions: "count" }, { actions: "count" }],
        MASTER_HEARD: [
          { guard: "newMaster", actions: [follow("follow"), report("slave")] },
          { guard: "sameMaster", actions: "heard" },
        ],
        HIGHER_TERM: { guard: "newMaster", actions: [follow("higher-term"), report("slave")] },
        MASTER_GONE: { guard: "goneNow", actions: "campaignSoon" },
        VOTE_REQUEST: { actions: [answer("slave"), report("slave")] },
        TRANSFER_NOW: { guard: "canTransfer", target: "candidate.voting", actions: "prepareTransfer" },
      },
    },
    candidate: {
      initial: "preVote",
      always: { guard: "lost", target: "slave", actions: "followHint" },
      on: {
        TICK: [{ guard: "paused" }, { guard: "timedOut", target: ".preVote", reenter: true }, { actions: "count" }],
        VOTE_RESPONSE: [
          { guard: "outvoted", target: "slave", actions: follow("higher-term") },
          { guard: "masterRefused", target: "slave", actions: follow("follow") },
          { guard: "counts", actions: "tally" },
        ],
        MASTER_HEARD: { guard: "newMaster", target: "slave", actions: follow("follow") },
        HIGHER_TERM: { guard: "newMaster", target: "slave", actions: follow("higher-term") },
        MASTER_GONE: { actions: "markGone" },
        VOTE_REQUEST: [
          { guard: "voteDeposes", target: "slave", actions: answer("candidate") },
          { actions: answer("candidate") },
        ],
        TRANSFER_NOW: { guard: "canTransfer", target: ".voting", reenter: true, actions: "prepareTransfer" },
      },
      states: {
        preVote: { entry: "startPreVote", always: { guard: "won", target: "voting" } },
        voting: { entry: "startVote", always: { guard: "won", target: "#role.master", actions: "wonReason" } },
      },
    },
    master: {
      entry: ["takeOffice", report("master")],
      on: {
        RECONNECTED: { actions: assign({ paused: false }) },
        TICK: [
          { guard: "manual", actions: "ageFollowers" },
          { guard: "quorumLost", target: "slave", actions: ["ageFollowers", "dropMaster", because("lost-quorum")] },
          { actions: "ageFollowers" },
        ],
        FOLLOWER_FETCH: [
          { guard: "higherTerm", target: "slave", actions: follow("higher-term") },
          { guard: "currentTerm", actions: "fetched" },
        ],
        MASTER_HEARD: { guard: "higherTerm", target: "slave", actions: follow("higher-term") },
        HIGHER_TERM: { guard: "higherTerm", target: "slave", actions: follow("higher-term") },
        VOTE_REQUEST: [
          { guard: "voteDeposes", target: "slave", actions: answer("master") },
          { actions: answer("master") },
        ],
        STEP_DOWN: { guard: "auto", target: "slave", actions: ["dropMaster", because("stepped-down")] },
      },
    },
  },
});

export type RoleSnapshot = SnapshotFrom<typeof roleMachine>;

type RoleActor = Actor<typeof roleMachine>;
/** Replicas whose election state could not be persisted: fail-stopped, they send nothing more. */
const broken = new WeakMap<RoleActor, unknown>();

/**
 * Registers the actor's effect handlers. A persist that throws stops every
 * effect after it, and askVote with it: no vote request or reply may leave on
 * a term or vote that is not on disk. (xstate catches a listener's error,
 * reports it later and goes on emitting, so this cannot be left to it.)
 * `failed` should stop the replica.
 */
export function handleEffects(actor: RoleActor, h: {
  persist(e: PersistEffect): void;
  requestVotes(e: RequestVotesEffect): void;
  roleChanged(e: RoleChangedEffect): void;
  failed(err: unknown): void;
}): () => void {
  const live = <E>(fn: (e: E) => void) => (e: E) => void (broken.has(actor) || fn(e));
  const subs = [
    actor.on("persist", live((e) => {
      try {
        h.persist(e);
      } catch (err) {
        broken.set(actor, err);
        h.failed(err);
      }
    })),
    actor.on("requestVotes", live(h.requestVotes)),
    actor.on("roleChanged", live(h.roleChanged)),
  ];
  return () => subs.forEach((s) => s.unsubscribe());
}

/**
 * Hands a vote request to the machine and returns the reply it emitted
 * during send(), after the persist it depends on; throws if that failed.
 */
export function askVote(actor: RoleActor, request: VoteRequest): VoteReplyEffect {
  let reply: VoteReplyEffect | undefined;
  const sub = actor.on("voteReply", (e) => void (reply ??= e));
  try {
    actor.send({ type: "VOTE_REQUEST", ...request });
  } finally {
    sub.unsubscribe();
  }
  if (broken.has(actor)) throw new Error("election state could not be persisted: no vote reply", { cause: broken.get(actor) });
  if (!reply) throw new Error(`role machine emitted no voteReply for a vote request from ${request.from}`);
  return reply;
}
