// The rules of the replica role machine (machines/role.ts) as pure functions:
// they read a view of the replica and return what should happen; the machine
// applies it. The rules are Raft's (§5.2, §5.4.1) with etcd raft's pre-vote
// and check-quorum (Raft thesis §9.6 and §6.2).
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
