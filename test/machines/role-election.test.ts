// Elections among several role machines wired by a tiny message router:
// emitted requestVotes become VOTE_REQUESTs at the others, voteReplies come
// back as VOTE_RESPONSEs, and every tick each slave "fetches" from the master
// it was last told of (FOLLOWER_FETCH at the master, MASTER_HEARD or
// HIGHER_TERM back), as the replica's actor would. A new master announces
// itself to the others as MASTER_HEARD. Time is only TICK events.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { createActor, type Actor } from "xstate";
import { describeRole, roleMachine, type LogPosition, type RoleChangedEffect, type RoleInput } from "../../machines/role.js";
import { mulberry32 } from "../chaos/prng.js";

const BASE = 1000;
const STEP = 50;

type Message = { from: number; to: number; send: () => void };

class Group {
  readonly actors: Actor<typeof roleMachine>[] = [];
  readonly logs: LogPosition[] = [];
  /** What each replica last announced (what its actor acts on). */
  readonly reported: RoleChangedEffect[] = [];
  readonly transcript: string[] = [];
  /** Replicas that ever became master, per term: never two. */
  readonly mastersByTerm = new Map<number, number>();
  private queue: Message[] = [];
  private cut = new Set<string>();
  now = 0;

  constructor(n: number, input: (i: number) => Partial<RoleInput> = () => ({})) {
    for (let i = 0; i < n; i++) {
      this.logs.push({ lastTerm: 0, lastOffset: 0 });
      const actor = createActor(roleMachine, {
        input: { replica: i, replicas: n, failover: "auto", electionTimeoutMs: BASE, random: mulberry32(100 + i).next, term: 0, votedFor: null, ...input(i) },
      });
      actor.on("requestVotes", (e) => {
        this.note(`r${i} asks t${e.term}${e.preVote ? " pre" : ""}${e.transfer ? " transfer" : ""}`);
        const { lastTerm, lastOffset } = this.logs[i]!;
        for (let to = 0; to < n; to++) {
          if (to === i) continue;
          this.post(i, to, () => this.actors[to]!.send({ type: "VOTE_REQUEST", from: i, term: e.term, preVote: e.preVote, transfer: e.transfer, lastTerm, lastOffset, local: this.logs[to]! }));
        }
      });
      actor.on("voteReply", (e) => this.post(i, e.to, () => this.actors[e.to]!.send({ type: "VOTE_RESPONSE", from: i, term: e.term, granted: e.granted, preVote: e.preVote, master: e.master })));
      actor.on("roleChanged", (e) => {
        this.reported[i] = e;
        this.note(`r${i} ${e.role} t${e.term} m${e.master} (${e.reason})`);
        if (e.role !== "master") return;
        const other = this.mastersByTerm.get(e.term);
        if (other !== undefined && other !== i) throw new Error(`two masters in term ${e.term}: r${other} and r${i}`);
        this.mastersByTerm.set(e.term, i);
        this.logs[i] = { lastTerm: e.term, lastOffset: this.logs[i]!.lastOffset + 100 }; // the term-start record
        // The new master announces itself (KRaft's BeginQuorumEpoch): voters learn whom to fetch from.
        for (let to = 0; to < n; to++) if (to !== i) this.post(i, to, () => this.actors[to]!.send({ type: "MASTER_HEARD", term: e.term, master: i }));
      });
      this.actors.push(actor);
    }
    this.actors.forEach((a) => a.start());
  }

  status(i: number) {
    return describeRole(this.actors[i]!.getSnapshot());
  }

  masters(): number[] {
    return this.actors.flatMap((_, i) => (this.status(i).role === "master" ? [i] : []));
  }

  /** Messages to and from r are dropped. */
  isolate(r: number) {
    this.actors.forEach((_, o) => o !== r && (this.cut.add(`${r}>${o}`), this.cut.add(`${o}>${r}`)));
  }

  cutLink(a: number, b: number) {
    this.cut.add(`${a}>${b}`);
  }

  heal() {
    this.cut.clear();
  }

  linked(a: number, b: number) {
    return !this.cut.has(`${a}>${b}`) && !this.cut.has(`${b}>${a}`);
  }

  /** Runs `ms` of time in ticks: every replica ticks, slaves fetch, messages are delivered until quiet. */
  run(ms: number, until: () => boolean = () => false) {
    for (let left = ms; left > 0 && !until(); left -= STEP) {
      this.now += STEP;
      this.actors.forEach((a) => a.send({ type: "TICK", elapsedMs: STEP }));
      this.fetches();
      this.deliver();
    }
  }

  deliver() {
    while (this.queue.length > 0) {
      const m = this.queue.shift()!;
      if (this.linked(m.from, m.to)) m.send();
    }
  }

  private fetches() {
    this.actors.forEach((slave, i) => {
      const m = this.reported[i]?.master;
      if (m === null || m === undefined || m === i || this.reported[i]!.role === "master" || !this.linked(i, m)) return;
      const master = this.status(m);
      this.actors[m]!.send({ type: "FOLLOWER_FETCH", replica: i, term: this.status(i).term });
      if (master.role === "master") {
        this.logs[i] = { ...this.logs[m]! };
        slave.send({ type: "MASTER_HEARD", term: master.term, master: m });
      } else if (master.term > this.status(i).term) {
        slave.send({ type: "HIGHER_TERM", term: master.term, master: master.master });
      }
    });
  }

  private post(from: number, to: number, send: () => void) {
    this.queue.push({ from, to, send });
  }

  private note(line: string) {
    this.transcript.push(`${this.now}ms ${line}`);
  }

  /** Elects a master from a cold start and lets every slave hear it. */
  static settled(n: number, input?: (i: number) => Partial<RoleInput>): { g: Group; master: number } {
    const g = new Group(n, input);
    g.run(10 * BASE, () => g.masters().length === 1 && g.actors.every((_, i) => g.reported[i]?.master === g.masters()[0]));
    const [master] = g.masters();
    assert.ok(master !== undefined, g.transcript.join("\n"));
    g.run(STEP); // every slave fetches once: all logs end alike
    return { g, master };
  }
}

const election = suite("role: elections among replicas");

election("three replicas elect one master in term 1, which the others follow", () => {
  const { g, master } = Group.settled(3);
  assert.ok(g.now <= 2 * BASE + STEP, `elected at ${g.now} ms: within the longest first timeout`);
  assert.equal(g.actors.map((_, i) => [g.status(i).term, g.reported[i]!.master]), [[1, master], [1, master], [1, master]]);
  g.run(20 * BASE);
  assert.equal(g.masters(), [master], "a healthy group stays as it is");
  assert.is(g.status(master).term, 1);
});

election("split votes are resolved by the randomized timeouts", () => {
  for (let seed = 1; seed <= 20; seed++) {
    // Every replica draws the same first timeouts, so all three campaign in the same tick and vote for themselves.
    const draws = [0.5, 0.5, 0.5];
    const g = new Group(3, (i) => {
      const rest = mulberry32(seed * 10 + i).next;
      const mine = [...draws];
      return { random: () => mine.shift() ?? rest() };
    });
    g.run(20 * BASE, () => g.masters().length === 1);
    const asked = g.transcript.filter((l) => l.endsWith("asks t1")).length;
    assert.is(asked, 3, `seed ${seed}: all three asked for votes in term 1\n${g.transcript.join("\n")}`);
    assert.is(g.mastersByTerm.has(1), false, `seed ${seed}: nobody won the split term`);
    assert.is(g.masters().length, 1, `seed ${seed}: a master after all\n${g.transcript.join("\n")}`);
    assert.ok(g.now <= 8 * BASE, `seed ${seed}: resolved at ${g.now} ms`);
  }
});

election("a candidate whose log is behind loses, even when it asks first", () => {
  // r0 holds a longer tail of an older term; r0 times out first (draws of 0), the others late.
  const g = new Group(3, (i) => ({ random: i === 0 ? () => 0 : () => 0.9 }));
  g.logs[0] = { lastTerm: 1, lastOffset: 900 };
  g.logs[1] = { lastTerm: 2, lastOffset: 300 };
  g.logs[2] = { lastTerm: 2, lastOffset: 300 };
  g.run(1000);
  assert.equal(g.transcript.filter((l) => l.includes("asks")), ["1000ms r0 asks t1 pre"]);
  g.deliver();
  assert.equal([g.status(0).role, g.status(0).term], ["slave", 0], "both refused it: it gave up, and raised no term");
  g.run(10 * BASE, () => g.masters().length === 1);
  assert.is(g.masters().length, 1);
  assert.is.not(g.masters()[0], 0, g.transcript.join("\n"));
});

election.run();

const faults = suite("role: faults");

faults("a master cut off from the others steps down within one base timeout, before anyone else is master", () => {
  const { g, master } = Group.settled(3);
  const cutAt = g.now;
  g.isolate(master);
  g.run(BASE, () => g.status(master).role !== "master");
  assert.is(g.status(master).role, "slave");
  assert.ok(g.now - cutAt <= BASE, `stepped down ${g.now - cutAt} ms after the cut`);
  assert.equal(g.masters(), [], "nobody else is master yet");
  g.run(5 * BASE, () => g.masters().length === 1);
  assert.equal(g.mastersByTerm.get(2) !== undefined && g.mastersByTerm.get(2) !== master, true, g.transcript.join("\n"));
});

faults("a replica cut off for long comes back without raising the term or deposing the master", () => {
  const { g, master } = Group.settled(3);
  const away = (master + 1) % 3;
  g.isolate(away);
  g.run(30 * BASE);
  assert.is(g.status(away).term, 1, "its pre-votes never raised its own term");
  assert.ok(g.transcript.filter((l) => l.includes(`r${away} asks t2 pre`)).length >= 10, "it kept trying");
  const before = g.transcript.length;
  g.heal();
  // It comes back first to the other slave alone, which still hears the master and refuses.
  const other = 3 - master - away;
  g.cutLink(away, master);
  g.run(3 * BASE);
  assert.ok(g.transcript.slice(before).every((l) => l.endsWith(`r${away} asks t2 pre`)), g.transcript.slice(before).join("\n"));
  assert.equal([g.status(away).term, g.status(other).term, g.status(other).master], [1, 1, master]);
  g.heal();
  g.run(3 * BASE);
  assert.equal(g.masters(), [master]);
  assert.equal(g.actors.map((_, i) => g.status(i).term), [1, 1, 1]);
  assert.is(g.reported[away]!.master, master, "it follows the master again");
  assert.equal(g.transcript.slice(before).filter((l) => l.includes(`r${master} `)), [], "the master never changed role");
});

faults("MASTER_GONE: the slaves campaign within half a base timeout instead of waiting out their timeouts", () => {
  const { g, master } = Group.settled(3);
  const [a, b] = [0, 1, 2].filter((i) => i !== master) as [number, number];
  g.isolate(master);
  const killedAt = g.now;
  g.actors[a]!.send({ type: "MASTER_GONE", master, term: 1 });
  g.actors[b]!.send({ type: "MASTER_GONE", master, term: 1 });
  g.deliver();
  const elected = () => g.masters().some((m) => m !== master);
  g.run(BASE, elected);
  assert.ok(elected(), g.transcript.join("\n"));
  assert.ok(g.now - killedAt <= BASE / 2 + STEP, `a new master ${g.now - killedAt} ms after the kill, not a timeout later`);
});

faults("TRANSFER_NOW makes the target master of the next term although the others hear the master", () => {
  const { g, master } = Group.settled(3);
  const target = (master + 2) % 3;
  g.actors[target]!.send({ type: "TRANSFER_NOW", term: 1 });
  g.deliver();
  assert.equal(g.masters(), [target], g.transcript.join("\n"));
  assert.is(g.status(target).term, 2);
  assert.equal(g.transcript.filter((l) => l.includes("(transfer)")).map((l) => l.replace(/^\d+ms /, "")).sort(),
    [`r${master} slave t2 mnull (transfer)`, `r${target} master t2 m${target} (transfer)`].sort());
  g.run(5 * BASE);
  assert.equal(g.masters(), [target], "and stays master");
});

faults("manual mode never elects, whatever happens to replica 0", () => {
  const g = new Group(3, () => ({ failover: "manual" }));
  g.isolate(0);
  g.run(30 * BASE);
  assert.equal(g.masters(), [0]);
  assert.equal(g.actors.map((_, i) => g.status(i).term), [0, 0, 0]);
  assert.is(g.transcript.filter((l) => l.includes("asks")).length, 0);
});

faults.run();
