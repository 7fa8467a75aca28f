// An N-replica group for scenarios (replicas.ts runs the processes):
// writes go through the master's store and wait for the commit, as a
// broker's send does; reads return what is visible; converge() runs the
// clock until the group agrees; problems() is everything the checker found.
import { PutStatus, type PutMessage } from "../../src/store/index.js";
import { quietNet } from "./net-events.js";
import { readQueues } from "./read-queues.js";
import { ReplicaSet, type ClusterOptions } from "./replicas.js";
import { describeBatch } from "./transcript.js";

export type { ClusterOptions } from "./replicas.js";

export interface WriteOutcome {
  outcome: "committed" | "not-master" | "timeout" | "down" | "refused";
  end: number;
}

export class Cluster extends ReplicaSet {
  static async start(o: ClusterOptions): Promise<Cluster> {
    const c = new Cluster({
      replicas: 3, seed: 1, electionTimeoutMs: 1000, delayMs: 2, fetchMaxBytes: 4 << 20, ack: "quorum", failover: "auto", showNet: quietNet(), ...o,
    });
    c.transcript.add("test", `start ${c.opts.replicas} replicas, election timeout ${c.electionTimeoutMs}ms, delay ${c.opts.delayMs}ms, seed ${c.opts.seed}`);
    for (const n of c.nodes) await c.boot(n);
    return c;
  }

  /** The one running replica that is master and takes writes, if exactly one is. */
  master(among: readonly number[] = this.up()): number | undefined {
    const m = among.filter((i) => this.repl(i).writable());
    return m.length === 1 ? m[0] : undefined;
  }

  /** Writes on replica i as a broker would: refused unless it takes writes, else put, then wait for the commit. */
  async write(i: number, msgs: readonly PutMessage[], timeoutMs = 3 * this.electionTimeoutMs): Promise<WriteOutcome> {
    const { repl, store } = this.node(i);
    if (!repl || !store) return { outcome: "down", end: -1 };
    if (!repl.writable()) return { outcome: "not-master", end: -1 };
    for (const m of msgs) this.queues.add(`${m.topic}/${m.queueId}`);
    const term = repl.term();
    const put = await store.put(msgs);
    this.checker.attempted(msgs);
    if (put.status !== PutStatus.PUT_OK) {
      this.transcript.add(i, `put ${msgs.length} -> ${put.status}`);
      return { outcome: "refused", end: put.end };
    }
    const outcome = await repl.waitCommitted(put.end, timeoutMs);
    this.transcript.add(i, `put ${msgs.length} msg(s) [${describeBatch(msgs)}] term ${term} end ${put.end} -> ${outcome}`);
    if (outcome === "committed") this.checker.acknowledged(msgs, put.results, term);
    return { outcome, end: put.end };
  }

  /** write() with simulated time running until it is answered. */
  put(i: number, msgs: readonly PutMessage[], timeoutMs = 3 * this.electionTimeoutMs): Promise<WriteOutcome> {
    return this.clock.settle(this.write(i, msgs, timeoutMs), timeoutMs + this.electionTimeoutMs);
  }

  /** Every visible (committed) message on replica i, per queue written in this run. */
  readAll(i: number) {
    return readQueues(this.store(i), this.queues);
  }

  /** Runs until one writable master, every running replica following it in its term, all logs equal and committed. */
  async converge(limitMs = 20 * this.electionTimeoutMs, among: readonly number[] = this.up()): Promise<boolean> {
    const ok = await this.clock.runUntil(() => this.converged(among), limitMs);
    this.transcript.add("check", ok ? `converged: master r${this.master(among)} term ${this.repl(this.master(among)!).term()}` : `NOT converged after ${limitMs}ms`);
    return ok;
  }

  converged(among: readonly number[] = this.up()): boolean {
    const m = this.master(among);
    if (m === undefined) return false;
    const term = this.repl(m).term();
    const end = this.store(m).maxPhysicalOffset;
    return among.every((i) => {
      const r = this.repl(i);
      const s = this.store(i);
      return r.term() === term && r.master() === m && s.maxPhysicalOffset === end && s.commitOffset === end;
    });
  }

  /** Everything wrong: invariants broken during the run, then the given replicas' logs (after convergence). */
  problems(among: readonly number[] = this.up()): string[] {
    const stores = among.map((replica) => ({ replica, store: this.store(replica) }));
    return [...this.checker.violations, ...this.checker.checkLogs(stores, this.queues)];
  }

}
