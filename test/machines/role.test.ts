import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { createActor } from "xstate";
import {
  askVote,
  describeRole,
  handleEffects,
  isUpToDate,
  randomTimeout,
  roleMachine,
  type LogPosition,
  type RoleEmitted,
  type RoleInput,
  type VoteRequest,
} from "../../machines/role.js";
import { mulberry32 } from "../chaos/prng.js";

const BASE = 1000;

const seeded = (seed: number) => mulberry32(seed).next;

/** Effects as short lines: the order they were emitted in is the order they must be carried out in. */
function line(e: RoleEmitted): string {
  switch (e.type) {
    case "persist": return `persist t${e.term} v${e.votedFor}`;
    case "requestVotes": return `ask t${e.term}${e.preVote ? " pre" : ""}${e.transfer ? " transfer" : ""}`;
    case "voteReply": return `reply→${e.to} t${e.term}${e.preVote ? " pre" : ""} ${e.granted ? "yes" : "no"} m${e.master}`;
    case "roleChanged": return `${e.role} t${e.term} m${e.master} (${e.reason})`;
  }
}

function start(input: Partial<RoleInput> = {}) {
  const actor = createActor(roleMachine, {
    input: { replica: 0, replicas: 3, failover: "auto", electionTimeoutMs: BASE, random: seeded(7), term: 0, votedFor: null, ...input },
  });
  let effects: string[] = [];
  actor.on("*", (e) => void effects.push(line(e)));
  actor.start();
  const take = () => {
    const out = effects;
    effects = [];
    return out;
  };
  const status = () => describeRole(actor.getSnapshot());
  /** Moves time on in ticks of `step` ms. */
  const tick = (ms: number, step = 100) => {
    for (let left = ms; left > 0; left -= step) actor.send({ type: "TICK", elapsedMs: Math.min(step, left) });
  };
  const log: LogPosition = { lastTerm: 0, lastOffset: 0 };
  const vote = (req: Partial<VoteRequest> & { from: number; term: number }) =>
    askVote(actor, { preVote: false, transfer: false, lastTerm: 0, lastOffset: 0, local: log, ...req });
  /** Wins an election at term+1 by feeding it the votes of every other replica. */
  const elect = () => {
    tick(2 * BASE);
    const { term, replicas } = { term: status().term, replicas: actor.getSnapshot().context.replicas };
    for (let r = 1; r < replicas; r++) actor.send({ type: "VOTE_RESPONSE", from: r, term: term + 1, granted: true, preVote: true, master: null });
    for (let r = 1; r < replicas; r++) actor.send({ type: "VOTE_RESPONSE", from: r, term: term + 1, granted: true, preVote: false, master: null });
  };
  return { actor, take, status, tick, vote, elect, log };
}

const startUp = suite("role: starting");

startUp("a single-replica group is master at once, in a new term it persisted first", () => {
  const r = start({ replicas: 1, term: 4, votedFor: 0 });
  assert.equal(r.take(), ["persist t5 v0", "master t5 m0 (elected)"]);
  assert.is(r.status().role, "master");
  r.tick(20 * BASE);
  assert.is(r.status().role, "master", "a lone master needs nobody's fetches");
  assert.equal(r.take(), []);
});

startUp("a replica of a larger group starts as a slave that knows no master", () => {
  const r = start({ replica: 2, term: 3, votedFor: 1 });
  assert.equal(r.take(), ["slave t3 mnull (started)"]);
  assert.equal(r.status(), { role: "slave", phase: null, term: 3, votedFor: 1, master: null, elapsedMs: 0, timeoutMs: r.status().timeoutMs, paused: false, followers: [] });
  assert.ok(r.status().timeoutMs >= BASE && r.status().timeoutMs < 2 * BASE);
});

startUp("randomTimeout draws in [base, 2·base) for any draw in [0, 1)", () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 60_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (base, x) => {
    const t = randomTimeout(base, () => x);
    return Number.isInteger(t) && t >= base && t < 2 * base;
  }));
  assert.is(randomTimeout(1000, () => 1), 1999, "a generator that returns 1 still stays below 2·base");
});

startUp.run();

const manual = suite("role: manual failover");

manual("replica 0 is master and the others follow it; nobody ever campaigns or steps down", () => {
  const m = start({ failover: "manual", replica: 0 });
  const s = start({ failover: "manual", replica: 1 });
  assert.equal(m.take(), ["master t0 m0 (started)"]);
  assert.equal(s.take(), ["slave t0 m0 (started)"]);
  m.tick(50 * BASE);
  s.tick(50 * BASE);
  m.actor.send({ type: "STEP_DOWN" });
  m.actor.send({ type: "HIGHER_TERM", term: 9, master: 2 });
  s.actor.send({ type: "MASTER_GONE", master: 0, term: 0 });
  s.actor.send({ type: "TRANSFER_NOW", term: 0 });
  assert.is(s.vote({ from: 2, term: 1 }).granted, false);
  assert.is(m.vote({ from: 2, term: 1 }).granted, false);
  assert.equal([m.status().role, s.status().role, s.status().master, m.status().term], ["master", "slave", 0, 0]);
  assert.equal([...m.take(), ...s.take()], ["reply→2 t0 no m0", "reply→2 t0 no m0"]);
});

manual.run();

const votes = suite("role: votes");

votes("a vote reply is emitted during send(), after the persist it depends on", () => {
  const r = start();
  r.take();
  const seen: string[] = [];
  let durable = false;
  r.actor.on("persist", () => void (durable = true, seen.push("persist")));
  r.actor.on("voteReply", (e) => void seen.push(`reply granted=${e.granted} durable=${durable}`));
  r.actor.send({ type: "VOTE_REQUEST", from: 1, term: 1, preVote: false, transfer: false, lastTerm: 0, lastOffset: 0, local: r.log });
  assert.equal(seen, ["persist", "reply granted=true durable=true"], "both happened before send() returned");
  assert.equal(r.take(), ["persist t1 v1", "reply→1 t1 yes mnull", "slave t1 mnull (higher-term)"]);
});

votes("one vote per term: a second candidate of the same term is refused, the first may ask again", () => {
  const r = start();
  r.take();
  assert.is(r.vote({ from: 1, term: 1 }).granted, true);
  assert.is(r.vote({ from: 2, term: 1 }).granted, false);
  assert.is(r.vote({ from: 1, term: 1 }).granted, true, "a repeated request gets the same answer");
  assert.equal(r.take(), ["persist t1 v1", "reply→1 t1 yes mnull", "slave t1 mnull (higher-term)", "reply→2 t1 no mnull", "reply→1 t1 yes mnull"]);
  assert.is(r.vote({ from: 2, term: 2 }).granted, true, "a new term frees the vote");
});

votes("the vote survives a restart from the persisted term and votedFor", () => {
  const r = start({ term: 1, votedFor: 1 });
  assert.is(r.vote({ from: 2, term: 1 }).granted, false);
  assert.is(r.vote({ from: 1, term: 1 }).granted, true);
  assert.is(r.vote({ from: 2, term: 2 }).granted, true);
});

votes("stale terms are refused with the current term, and stale replies and masters are ignored", () => {
  const r = start({ term: 5 });
  r.take();
  assert.equal(r.vote({ from: 1, term: 4 }), { type: "voteReply", to: 1, term: 5, granted: false, preVote: false, master: null });
  assert.equal(r.vote({ from: 1, term: 5, preVote: true }).granted, false, "a pre-vote must ask for a term above ours");
  r.actor.send({ type: "MASTER_HEARD", term: 4, master: 1 });
  assert.is(r.status().master, null, "a master of an older term is not followed");
  assert.equal(r.take(), ["reply→1 t5 no mnull", "reply→1 t5 pre no mnull"]);
  r.tick(2 * BASE); // campaign: pre-vote for term 6
  assert.equal(r.take(), ["ask t6 pre"]);
  r.actor.send({ type: "VOTE_RESPONSE", from: 1, term: 5, granted: true, preVote: false, master: null });
  r.actor.send({ type: "VOTE_RESPONSE", from: 1, term: 4, granted: false, preVote: true, master: 2 });
  assert.equal([r.status().role, r.status().phase, r.status().term], ["candidate", "preVote", 5], "neither reply counted");
  r.actor.send({ type: "VOTE_RESPONSE", from: 2, term: 6, granted: true, preVote: true, master: null });
  assert.equal(r.take(), ["persist t6 v0", "ask t6"]);
});

votes("the log rule: an older last term, or the same term and a shorter log, loses", () => {
  const local = { lastTerm: 3, lastOffset: 500 };
  assert.is(isUpToDate({ lastTerm: 2, lastOffset: 900 }, local), false);
  assert.is(isUpToDate({ lastTerm: 3, lastOffset: 499 }, local), false);
  assert.is(isUpToDate({ lastTerm: 3, lastOffset: 500 }, local), true);
  assert.is(isUpToDate({ lastTerm: 4, lastOffset: 0 }, local), true);
  const r = start({ term: 3 });
  assert.is(r.vote({ from: 1, term: 4, lastTerm: 2, lastOffset: 900, local }).granted, false);
  assert.is(r.vote({ from: 1, term: 4, preVote: true, lastTerm: 3, lastOffset: 400, local }).granted, false);
  assert.is(r.vote({ from: 2, term: 5, lastTerm: 3, lastOffset: 400, local }).granted, false);
  assert.is(r.status().term, 5, "a refused real vote still carries its higher term over");
  assert.is(r.vote({ from: 2, term: 5, lastTerm: 3, lastOffset: 500, local }).granted, true);
});

votes("a slave that hears its master refuses votes, unless the master is gone or hands over", () => {
  const r = start({ term: 2 });
  r.actor.send({ type: "MASTER_HEARD", term: 2, master: 1 });
  r.take();
  assert.equal(r.vote({ from: 2, term: 3, preVote: true }), { type: "voteReply", to: 2, term: 2, granted: false, preVote: true, master: 1 });
  assert.is(r.vote({ from: 2, term: 3 }).granted, false, "the lease check refuses real votes too");
  assert.is(r.status().term, 2, "and ignores their term");
  assert.is(r.vote({ from: 2, term: 3, transfer: true, preVote: true }).granted, true, "a transfer pre-vote passes the lease");
  r.tick(BASE - 100);
  assert.is(r.vote({ from: 2, term: 3, preVote: true }).granted, false);
  r.tick(100);
  assert.is(r.vote({ from: 2, term: 3, preVote: true }).granted, true, "after one base timeout of silence");
  r.actor.send({ type: "MASTER_HEARD", term: 2, master: 1 });
  r.actor.send({ type: "MASTER_GONE", master: 2, term: 2 });
  assert.is(r.vote({ from: 2, term: 3, preVote: true }).granted, false, "news of another replica's death changes nothing");
  r.actor.send({ type: "MASTER_GONE", master: 1, term: 2 });
  r.take();
  assert.is(r.vote({ from: 2, term: 3, preVote: true }).granted, true, "once NATS said the master has no responders");
  assert.equal([r.status().term, r.status().votedFor], [2, null], "a pre-vote changes nothing on the voter");
});

votes("a transfer vote is granted while the master is heard, and only then", () => {
  const r = start({ term: 2 });
  r.actor.send({ type: "MASTER_HEARD", term: 2, master: 1 });
  r.take();
  assert.is(r.vote({ from: 2, term: 3, transfer: true }).granted, true);
  assert.equal(r.take(), ["persist t3 v2", "reply→2 t3 yes mnull", "slave t3 mnull (higher-term)"]);
});

votes.run();

const master = suite("role: master");

master("a master refuses pre-votes and stays; a real vote of a higher term deposes it", () => {
  const r = start();
  r.elect();
  assert.equal(r.take().slice(-3), ["persist t1 v0", "ask t1", "master t1 m0 (elected)"]);
  assert.equal(r.vote({ from: 1, term: 2, preVote: true }), { type: "voteReply", to: 1, term: 1, granted: false, preVote: true, master: 0 });
  assert.is(r.status().role, "master");
  assert.is(r.vote({ from: 1, term: 1 }).granted, false, "it voted for itself in its term");
  assert.is(r.vote({ from: 1, term: 2 }).granted, true);
  assert.equal(r.take(), ["reply→1 t1 pre no m0", "reply→1 t1 no m0", "persist t2 v1", "reply→1 t2 yes mnull", "slave t2 mnull (higher-term)"]);
});

master("a master that no follower fetches from steps down within one base timeout, even while disconnected", () => {
  for (const disconnected of [false, true]) {
    const r = start();
    r.elect();
    r.take();
    if (disconnected) r.actor.send({ type: "DISCONNECTED" });
    r.tick(BASE - 100);
    assert.is(r.status().role, "master");
    assert.equal(r.status().followers, [{ replica: 1, lastFetchAgoMs: 900 }, { replica: 2, lastFetchAgoMs: 900 }]);
    r.tick(100);
    assert.equal(r.take(), ["slave t1 mnull (lost-quorum)"]);
  }
});

master("one follower's fetches are a majority of three: the master stays", () => {
  const r = start();
  r.elect();
  r.take();
  for (let i = 0; i < 40; i++) {
    r.tick(500);
    r.actor.send({ type: "FOLLOWER_FETCH", replica: 2, term: 1 });
    r.actor.send({ type: "FOLLOWER_FETCH", replica: 1, term: 0 }); // a fetch from an older term does not count
  }
  assert.is(r.status().role, "master");
  r.actor.send({ type: "FOLLOWER_FETCH", replica: 1, term: 2 });
  assert.equal(r.take(), ["persist t2 vnull", "slave t2 mnull (higher-term)"]);
});

master("STEP_DOWN hands the role back without a new term", () => {
  const r = start();
  r.elect();
  r.take();
  r.actor.send({ type: "STEP_DOWN" });
  assert.equal(r.take(), ["slave t1 mnull (stepped-down)"]);
});

master.run();

const timing = suite("role: timeouts");

timing("a slave campaigns once its randomized timeout passes, with a pre-vote that keeps its term", () => {
  const r = start({ term: 1 });
  r.actor.send({ type: "MASTER_HEARD", term: 1, master: 2 });
  r.take();
  const timeout = r.status().timeoutMs;
  r.tick(timeout - 100, 100);
  r.tick(100 - 1, 1);
  assert.is(r.status().role, "slave");
  r.tick(1, 1);
  assert.equal([r.status().role, r.status().phase, r.status().term], ["candidate", "preVote", 1]);
  assert.equal(r.take(), ["ask t2 pre"]);
});

timing("MASTER_GONE cuts the rest of the timeout to a random part of half a base", () => {
  const r = start({ term: 1 });
  r.actor.send({ type: "MASTER_HEARD", term: 1, master: 2 });
  r.tick(100);
  r.take();
  r.actor.send({ type: "MASTER_GONE", master: 1, term: 1 });
  r.actor.send({ type: "MASTER_GONE", master: 2, term: 0 });
  r.tick(BASE / 2);
  assert.equal(r.take(), [], "another replica, or an older term, is not our master");
  r.actor.send({ type: "MASTER_GONE", master: 2, term: 1 });
  assert.equal(r.take(), [], "not at once: a slave that heard it in the same instant may campaign first");
  r.tick(BASE / 2);
  assert.equal(r.take(), ["ask t2 pre"], "within half a base timeout");
});

timing("DISCONNECTED pauses a slave's count, and RECONNECTED starts it over", () => {
  const r = start({ term: 1 });
  r.actor.send({ type: "MASTER_HEARD", term: 1, master: 2 });
  r.take();
  const timeout = r.status().timeoutMs;
  r.tick(500);
  r.actor.send({ type: "DISCONNECTED" });
  r.tick(20 * BASE);
  r.actor.send({ type: "MASTER_GONE", master: 2, term: 1 });
  assert.equal([r.status().role, r.status().elapsedMs, r.status().paused], ["slave", 500, true]);
  r.actor.send({ type: "RECONNECTED" });
  r.tick(timeout - 100);
  assert.is(r.status().role, "slave", "the silence before the cut is not counted again");
  r.tick(100);
  assert.equal(r.take(), ["ask t2 pre"]);
});

timing("TRANSFER_NOW campaigns at once in the next term, with no pre-vote", () => {
  const r = start({ replica: 1, term: 3 });
  r.actor.send({ type: "MASTER_HEARD", term: 3, master: 0 });
  r.take();
  r.actor.send({ type: "TRANSFER_NOW", term: 2 });
  assert.equal(r.take(), [], "a handover from an older term is ignored");
  r.actor.send({ type: "TRANSFER_NOW", term: 3 });
  assert.equal(r.take(), ["persist t4 v1", "ask t4 transfer"]);
  r.actor.send({ type: "VOTE_RESPONSE", from: 0, term: 4, granted: true, preVote: false, master: null });
  assert.equal(r.take(), ["master t4 m1 (transfer)"]);
});

timing.run();

const campaign = suite("role: a campaign's replies");

campaign("a refusal from the master itself is followed at once; another voter's word only once the campaign is lost", () => {
  const r = start({ term: 1 });
  r.tick(2 * BASE);
  assert.equal(r.take(), ["slave t1 mnull (started)", "ask t2 pre"]);
  r.actor.send({ type: "VOTE_RESPONSE", from: 1, term: 1, granted: false, preVote: true, master: 2 });
  assert.equal([r.status().role, r.status().master], ["candidate", null], "r1 may hear a master that is already dead");
  r.actor.send({ type: "VOTE_RESPONSE", from: 2, term: 1, granted: false, preVote: true, master: 2 });
  assert.equal(r.take(), ["slave t1 m2 (follow)"]);

  r.tick(2 * BASE);
  r.take();
  r.actor.send({ type: "VOTE_RESPONSE", from: 1, term: 1, granted: false, preVote: true, master: 2 });
  r.actor.send({ type: "VOTE_RESPONSE", from: 1, term: 1, granted: false, preVote: true, master: 2 });
  assert.is(r.status().role, "candidate", "one voter counts once");
  r.actor.send({ type: "VOTE_RESPONSE", from: 2, term: 1, granted: false, preVote: true, master: null });
  assert.equal([r.status().role, r.status().master], ["slave", 2], "lost: it follows the master it was told of");
});

campaign("a refusal from a higher term ends the campaign in that term", () => {
  const r = start({ term: 1 });
  r.tick(2 * BASE);
  r.take();
  r.actor.send({ type: "VOTE_RESPONSE", from: 1, term: 3, granted: false, preVote: true, master: 2 });
  assert.equal(r.take(), ["persist t3 vnull", "slave t3 m2 (higher-term)"]);
});

campaign("a pre-candidate that hears its master again goes back to it; a voting candidate ignores the old term", () => {
  const r = start({ term: 1 });
  r.actor.send({ type: "MASTER_HEARD", term: 1, master: 2 });
  r.tick(2 * BASE);
  assert.is(r.status().phase, "preVote");
  r.actor.send({ type: "MASTER_HEARD", term: 1, master: 2 });
  assert.equal([r.status().role, r.status().master], ["slave", 2]);
  r.tick(2 * BASE);
  r.actor.send({ type: "VOTE_RESPONSE", from: 1, term: 2, granted: true, preVote: true, master: null });
  assert.equal([r.status().phase, r.status().term], ["voting", 2]);
  r.actor.send({ type: "MASTER_HEARD", term: 1, master: 2 });
  assert.is(r.status().phase, "voting");
  r.actor.send({ type: "VOTE_RESPONSE", from: 2, term: 2, granted: false, preVote: false, master: null });
  r.actor.send({ type: "VOTE_RESPONSE", from: 1, term: 2, granted: false, preVote: false, master: null });
  assert.equal([r.status().role, r.status().term, r.status().votedFor], ["slave", 2, 0], "lost, in the term it voted itself in");
});

campaign.run();

const effects = suite("role: carrying out effects");

effects("handleEffects passes each effect on, in the order emitted", () => {
  const r = start({ term: 1 });
  const seen: string[] = [];
  handleEffects(r.actor, {
    persist: (e) => void seen.push(`persist t${e.term} v${e.votedFor}`),
    requestVotes: (e) => void seen.push(`ask t${e.term}${e.preVote ? " pre" : ""}`),
    roleChanged: (e) => void seen.push(`${e.role} t${e.term}`),
    failed: (err) => assert.unreachable(String(err)),
  });
  r.tick(2 * BASE);
  r.actor.send({ type: "VOTE_RESPONSE", from: 1, term: 2, granted: true, preVote: true, master: null });
  r.actor.send({ type: "VOTE_RESPONSE", from: 2, term: 2, granted: true, preVote: false, master: null });
  assert.equal(seen, ["ask t2 pre", "persist t2 v0", "ask t2", "master t2"]);
});

effects("a persist that fails stops the vote reply and every effect after it", () => {
  const r = start();
  const seen: string[] = [];
  const failures: unknown[] = [];
  handleEffects(r.actor, {
    persist: () => {
      throw new Error("EIO");
    },
    requestVotes: (e) => void seen.push(`ask t${e.term}`),
    roleChanged: (e) => void seen.push(`${e.role} t${e.term}`),
    failed: (err) => void failures.push(err),
  });
  assert.throws(() => r.vote({ from: 1, term: 1 }), /could not be persisted/);
  assert.is(failures.length, 1);
  r.tick(4 * BASE);
  r.actor.send({ type: "VOTE_RESPONSE", from: 2, term: 2, granted: true, preVote: true, master: null });
  assert.equal(seen, [], "no vote request on a term that is not on disk");
  assert.throws(() => r.vote({ from: 2, term: 9 }), /could not be persisted/, "nor any later reply");
});

effects.run();
