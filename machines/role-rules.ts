// The vocabulary of the replica role machine (machines/role.ts: its input,
// context, events and effects) and its rules as pure functions: they read a
// view of the replica and return what should happen; the machine applies it.
// The rules are Raft's (§5.2, §5.4.1) with etcd raft's pre-vote and
// check-quorum (Raft thesis §9.6 and §6.2).
import { majority } from "./quorum.js";

/** Where a log ends: the term of its last record (0 if empty) and its end offset. */
export interface LogPosition {
  lastTerm: number;
  lastOffset: number;
}

/** What a replica is. A candidate serves nothing and, to the outside, is a slave without a master. */
export type Role = "slave" | "candidate" | "master";

/** A vote request as the replica's actor hands it over: the wire request plus the local log's position. */
export interface VoteRequest extends LogPosition {
  from: number;
  /** The term the candidate campaigns in (for a pre-vote: the term it would campaign in). */
  term: number;
  preVote: boolean;
  /** The master hands over: grant even though a master was heard recently. */
  transfer: boolean;
  local: LogPosition;
}

export interface RoleInput {
  replica: number;
  replicas: number;
  failover: "auto" | "manual";
  /** The base election timeout; each wait is drawn from [base, 2·base). */
  electionTimeoutMs: number;
  /** In [0, 1); seeded in tests. */
  random: () => number;
  /** Persisted election state (ElectionState.open). */
  term: number;
  votedFor: number | null;
}

/** What a replica tells the world it is: a candidate is a slave with no master. */
export type PublicRole = "master" | "slave";
export type RoleReason = "elected" | "stepped-down" | "higher-term" | "lost-quorum" | "started" | "transfer" | "follow";

export interface RoleContext extends RoleInput {
  master: number | null;
  /** Slave: silence since the master was last heard; candidate: since the campaign began; master: time in office. */
  elapsedMs: number;
  timeoutMs: number;
  /** The campaign under way: the term asked for, pre-vote or real, and whether it is a handover. */
  campaign: { term: number; preVote: boolean; transfer: boolean } | null;
  granted: number[];
  rejected: number[];
  /** A master of this term named by a refusal: followed if the campaign is lost. */
  hint: number | null;
  /** Master: ms since each follower's last fetch (own entry 0). */
  heardFrom: number[];
  /** Own NATS connection is down: a slave counts no silence. */
  paused: boolean;
  /** NATS said the master's subjects have no responders: the lease is void. */
  masterGone: boolean;
  /** The next campaign is a handover (TRANSFER_NOW). */
  transfer: boolean;
  /** Why the next roleChanged happens, and what was last reported. */
  reason: RoleReason;
  reported: { role: PublicRole; term: number; master: number | null } | null;
}

/**
 * What the actor feeds the machine. Slaves pull, so nothing tells a voter who
 * won: the actor turns a new master's announcement (its roleChanged, published
 * to the group; KRaft's BeginQuorumEpoch) into MASTER_HEARD at the others, as
 * it does every fetch reply from the master. HIGHER_TERM is any other message
 * carrying a higher term (a NOT_MASTER reply, a fetch request).
 */
export type RoleEvent =
  | { type: "TICK"; elapsedMs: number }
  | { type: "MASTER_HEARD"; term: number; master: number }
  | { type: "MASTER_GONE"; master: number; term: number }
  | { type: "FOLLOWER_FETCH"; replica: number; term: number }
  | ({ type: "VOTE_REQUEST" } & VoteRequest)
  | { type: "VOTE_RESPONSE"; from: number; term: number; granted: boolean; preVote: boolean; master: number | null }
  | { type: "HIGHER_TERM"; term: number; master: number | null }
  | { type: "TRANSFER_NOW"; term: number }
  | { type: "STEP_DOWN" }
  | { type: "DISCONNECTED" }
  | { type: "RECONNECTED" };

export type PersistEffect = { type: "persist"; term: number; votedFor: number | null };
export type RequestVotesEffect = { type: "requestVotes"; term: number; preVote: boolean; transfer: boolean };
export type VoteReplyEffect = { type: "voteReply"; to: number; term: number; granted: boolean; preVote: boolean; master: number | null };
export type RoleChangedEffect = { type: "roleChanged"; role: PublicRole; term: number; master: number | null; reason: RoleReason };
export type RoleEmitted = PersistEffect | RequestVotesEffect | VoteReplyEffect | RoleChangedEffect;

export interface RoleStatus {
  role: Role;
  phase: "preVote" | "voting" | null;
  term: number;
  votedFor: number | null;
  master: number | null;
  elapsedMs: number;
  timeoutMs: number;
  paused: boolean;
  /** Master only: how long ago each other replica fetched. */
  followers: Array<{ replica: number; lastFetchAgoMs: number }>;
}

/** The voter's side of a vote request. */
export interface VoterView {
  replica: number;
  role: Role;
  term: number;
  votedFor: number | null;
  master: number | null;
  /** A master was heard within the base election timeout (etcd's lease) and MASTER_GONE was not seen. */
  inLease: boolean;
  manual: boolean;
}

/** What a vote request does to the voter. */
export interface VoteDecision {
  granted: boolean;
  /** The voter's term, votedFor and master after the request. */
  term: number;
  votedFor: number | null;
  master: number | null;
  /** The request carried a higher term that the voter took on. */
  adopted: boolean;
  /** The voter was master or candidate and is now a slave. */
  deposed: boolean;
  /** The term the reply carries: the requested term for a granted pre-vote, else the voter's. */
  replyTerm: number;
  /** The master the voter knows in replyTerm, so a refused candidate can follow it. */
  replyMaster: number | null;
}

/**
 * Raft's election restriction: a candidate's log is at least as up to date as
 * ours when its last term is greater, or equal with an end at least as far.
 */
export function isUpToDate(candidate: LogPosition, local: LogPosition): boolean {
  if (candidate.lastTerm !== local.lastTerm) return candidate.lastTerm > local.lastTerm;
  return candidate.lastOffset >= local.lastOffset;
}

/** An election timeout in [base, 2·base), so that competing candidates rarely time out together. */
export function randomTimeout(base: number, random: () => number): number {
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return base + Math.floor(r * base);
}

/**
 * Check-quorum: a master is still backed by a majority when at least
 * majority-1 followers fetched within the last `windowMs`.
 */
export function quorumActive(heardFrom: readonly number[], self: number, windowMs: number): boolean {
  let recent = 0;
  for (let r = 0; r < heardFrom.length; r++) if (r !== self && (heardFrom[r] ?? Infinity) < windowMs) recent++;
  return recent >= majority(heardFrom.length) - 1;
}

/** The term and master an event speaks of (a follower's fetch names no master). */
export function claim(event: RoleEvent): { term: number; master: number | null } | null {
  if (!("term" in event)) return null;
  return { term: event.term, master: "master" in event && event.type !== "MASTER_GONE" ? event.master : null };
}

type Follower = Pick<RoleContext, "replica" | "term" | "master">;

/** A master (or, with a higher term, anyone) that this replica does not follow yet. */
export function isNewMaster(c: Follower, said: ReturnType<typeof claim>): boolean {
  if (!said || said.term < c.term) return false;
  return said.term > c.term || (said.master !== null && said.master !== c.replica && said.master !== c.master);
}

export function isSameMaster(c: Follower, said: ReturnType<typeof claim>): boolean {
  return said !== null && said.term === c.term && said.master === c.master;
}

/** NATS says the master this replica follows (or, knowing none, a master of its term or later) is gone. */
export function masterGoneNow(c: Follower & Pick<RoleContext, "paused">, gone: { master: number; term: number }): boolean {
  return !c.paused && gone.term >= c.term && gone.master !== c.replica && (c.master === null || gone.master === c.master);
}

/** What a reply to a campaign does: a higher term ends it; the master's own refusal is followed; else it counts, or is stale. */
export type ReplyKind = "higher-term" | "master-refused" | "counts" | "stale";

export function classifyReply(
  c: Pick<RoleContext, "term" | "campaign">,
  r: Extract<RoleEvent, { type: "VOTE_RESPONSE" }>,
): ReplyKind {
  const campaign = c.campaign;
  // A granted pre-vote carries the term asked for, not the voter's.
  const grantedPreVote = r.granted && r.preVote && campaign?.preVote === true && r.term === campaign.term;
  if (r.term > c.term && !grantedPreVote) return "higher-term";
  // Another voter may still hear a master that is already dead: its word waits for a lost campaign.
  if (!r.granted && r.term === c.term && r.master === r.from) return "master-refused";
  if (campaign !== null && r.preVote === campaign.preVote && r.term === (r.granted ? campaign.term : c.term)) return "counts";
  return "stale";
}

/** A campaign is won with a majority of grants (the candidate's own included). */
export function wonVotes(granted: readonly number[], replicas: number): boolean {
  return granted.length >= majority(replicas);
}

/** A campaign is lost once so many refused that a majority can no longer grant. */
export function lostVotes(rejected: readonly number[], replicas: number): boolean {
  return rejected.length > replicas - majority(replicas);
}

/**
 * One voter's answer to a vote request. A pre-vote changes nothing on the
 * voter; a real vote with a higher term makes it take the term on (and step
 * down), unless it hears a master and the request is no transfer, in which
 * case it ignores the term (etcd's lease check), so a replica that was cut
 * off cannot raise the term of a healthy group.
 */
export function decideVote(view: VoterView, req: VoteRequest): VoteDecision {
  const ownMaster = view.role === "master" ? view.replica : view.master;
  const keep: VoteDecision = {
    granted: false,
    term: view.term,
    votedFor: view.votedFor,
    master: view.master,
    adopted: false,
    deposed: false,
    replyTerm: view.term,
    replyMaster: ownMaster,
  };
  if (view.manual || req.from === view.replica) return keep;
  const upToDate = isUpToDate(req, req.local);
  if (req.preVote) {
    const granted = req.term > view.term && upToDate && view.role !== "master" && (req.transfer || !view.inLease);
    return granted ? { ...keep, granted, replyTerm: req.term } : keep;
  }
  if (req.term < view.term) return keep;
  if (req.term > view.term && view.inLease && !req.transfer) return keep;
  const adopted = req.term > view.term;
  const votedFor = adopted ? null : view.votedFor;
  const master = adopted ? null : view.master;
  // One vote per term, and none for a rival of a master known in this term.
  const canVote = votedFor === req.from || (votedFor === null && master === null);
  const granted = canVote && upToDate;
  return {
    granted,
    term: req.term,
    votedFor: granted ? req.from : votedFor,
    master,
    adopted,
    deposed: adopted && view.role !== "slave",
    replyTerm: req.term,
    replyMaster: adopted ? null : ownMaster,
  };
}

/** The role as a status reply or a dashboard shows it. */
export function describeRole(snapshot: {
  context: RoleContext;
  matches(state: "master" | { candidate: "preVote" | "voting" }): boolean;
}): RoleStatus {
  const c = snapshot.context;
  const phase = snapshot.matches({ candidate: "preVote" }) ? "preVote" : snapshot.matches({ candidate: "voting" }) ? "voting" : null;
  const role: Role = snapshot.matches("master") ? "master" : phase ? "candidate" : "slave";
  const followers = role === "master" ? c.heardFrom.flatMap((ms, replica) => (replica === c.replica ? [] : [{ replica, lastFetchAgoMs: ms }])) : [];
  return { role, phase, term: c.term, votedFor: c.votedFor, master: c.master, elapsedMs: c.elapsedMs, timeoutMs: c.timeoutMs, paused: c.paused, followers };
}
