// An N-replica group in one process: a real MessageStore per replica on a
// temp folder, startReplication per replica, linked by the fake network and
// driven by one simulated clock. Replicas crash (kill -9: timers die, the
// store keeps what it wrote, nothing is cleaned up), stop, restart; writes
// go through the master's store and wait for the commit; every event lands
// in the scenario's transcript, and the checker watches every step.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startReplication, type AckLevel, type Failover, type Replication } from "../../actors/replication.js";
import { MessageStore, PutStatus, type PutMessage, type StoreOptions } from "../../src/store/index.js";
import { mulberry32 } from "../chaos/prng.js";
import { Checker } from "./checker.js";
import { FakeNetwork, type NetEvent } from "./fake-network.js";
import { readQueues, type QueueKey } from "./read-queues.js";
import { SimClock, type ScopedClock } from "./sim-clock.js";
import { Transcript } from "./transcript.js";

export interface ClusterOptions {
  /** The scenario: names the transcript file. */
  name: string;
  replicas?: number;
  seed?: number;
  electionTimeoutMs?: number;
  delayMs?: number;
  ack?: AckLevel;
  failover?: Failover;
  /** Largest chunk of log one fetch carries. */
  fetchMaxBytes?: number;
  /** Network events shown in the transcript; default: all but fetches that went through. */
  showNet?: (e: NetEvent) => boolean;
}

export interface WriteOutcome {
  outcome: "committed" | "not-master" | "timeout" | "down" | "refused";
  end: number;
}

interface Node {
  replica: number;
  dir: string;
  incarnation: number;
  store?: MessageStore;
  repl?: Replication;
  scope?: ScopedClock;
  seen: { commit: number };
}

/** Hides fetches that went through, and repeats of the same failure on one link (a slave asking a dead master every 50 ms). */
function quietFetch(): (e: NetEvent) => boolean {
  const last = new Map<string, string>();
  return (e) => {
    if (e.kind === "fault") return true;
    const link = `${e.from}->${e.to} ${e.api}`;
    const was = last.get(link);
    last.set(link, e.kind);
    if (e.kind === "deliver" || e.kind === "reply") return e.api === "vote";
    return was !== e.kind;
  };
}

export class Cluster {
  readonly clock = new SimClock();
  readonly transcript = new Transcript(this.clock);
  readonly network: FakeNetwork;
  readonly checker = new Checker();
  readonly electionTimeoutMs: number;
  readonly queues = new Set<QueueKey>();
  private readonly nodes: Node[];
  private readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "rbus-repl-"));
  private readonly unhandled = (err: unknown) => this.checker.fault(`unhandled rejection: ${String(err)}`);

  private constructor(readonly opts: Required<ClusterOptions>) {
    this.electionTimeoutMs = opts.electionTimeoutMs;
    this.network = new FakeNetwork({
      clock: this.clock, replicas: opts.replicas, seed: opts.seed, delayMs: opts.delayMs,
      onEvent: (e) => {
        if (opts.showNet(e)) this.transcript.net(e);
        if (e.kind === "fault" && e.what.startsWith("handler threw")) this.checker.fault(`r${e.to}'s ${e.api} handler threw: ${e.what}`);
      },
    });
    this.nodes = Array.from({ length: opts.replicas }, (_, replica) => ({
      replica, dir: path.join(this.root, `r${replica}`), incarnation: 0, seen: { commit: 0 },
    }));
    this.clock.onStep(() => this.observe());
    process.on("unhandledRejection", this.unhandled);
  }

  static async start(o: ClusterOptions): Promise<Cluster> {
    const c = new Cluster({
      replicas: 3, seed: 1, electionTimeoutMs: 1000, delayMs: 2, fetchMaxBytes: 4 << 20, ack: "quorum", failover: "auto", showNet: quietFetch(), ...o,
    });
    c.transcript.add("test", `start ${c.opts.replicas} replicas, election timeout ${c.electionTimeoutMs}ms, delay ${c.opts.delayMs}ms, seed ${c.opts.seed}`);
    for (const n of c.nodes) await c.boot(n);
    return c;
  }

  get size(): number {
    return this.opts.replicas;
  }

  repl(i: number): Replication {
    const r = this.node(i).repl;
    if (!r) throw new Error(`replica ${i} is down`);
    return r;
  }

  store(i: number): MessageStore {
    const s = this.node(i).store;
    if (!s) throw new Error(`replica ${i} is down`);
    return s;
  }

  isUp(i: number): boolean {
    return this.node(i).repl !== undefined;
  }

  /** Replicas that are running. */
  up(): number[] {
    return this.nodes.filter((n) => n.repl).map((n) => n.replica);
  }

  /** The one running replica that is master and takes writes, if exactly one is. */
  master(among: readonly number[] = this.up()): number | undefined {
    const m = among.filter((i) => this.repl(i).writable());
    return m.length === 1 ? m[0] : undefined;
  }

  note(text: string): void {
    this.transcript.add("test", text);
  }

  /** kill -9: the process's timers and connection die, the store keeps what it wrote, nothing is flushed or cleaned up. */
  crash(i: number): void {
    const n = this.node(i);
    this.transcript.add(i, "CRASH");
    n.scope?.kill();
    this.network.kill(i);
    n.store?.simulateCrash();
    n.repl = n.store = n.scope = undefined;
  }

  /** A clean shutdown: replication stops (simulated time runs meanwhile), then the store closes. */
  async stop(i: number): Promise<void> {
    const n = this.node(i);
    this.transcript.add(i, "STOP");
    if (n.repl) await this.clock.settle(n.repl.stop(), 10 * this.electionTimeoutMs);
    this.network.kill(i);
    n.scope?.kill();
    await n.store?.close();
    n.repl = n.store = n.scope = undefined;
  }

  async restart(i: number): Promise<void> {
    const n = this.node(i);
    if (n.repl) throw new Error(`replica ${i} is running`);
    n.incarnation++;
    this.transcript.add(i, `RESTART (incarnation ${n.incarnation})`);
    await this.boot(n);
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
    this.transcript.add(i, `put ${msgs.length} msg(s) [${describe(msgs)}] term ${term} end ${put.end} -> ${outcome}`);
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

  /** Stops everything, writes the transcript, removes the folders. */
  async close(): Promise<string> {
    for (const n of this.nodes) {
      if (!n.repl) continue;
      await this.stop(n.replica).catch((err: unknown) => {
        this.transcript.add(n.replica, `stop failed (${String(err)}): crashed instead`);
        this.crash(n.replica);
      });
    }
    process.off("unhandledRejection", this.unhandled);
    const file = this.transcript.write(this.opts.name, `${this.opts.replicas} replicas, seed ${this.opts.seed}; times are simulated ms`);
    fs.rmSync(this.root, { recursive: true, force: true });
    return file;
  }

  private node(i: number): Node {
    const n = this.nodes[i];
    if (!n) throw new Error(`no replica ${i}`);
    return n;
  }

  private async boot(n: Node): Promise<void> {
    const i = n.replica;
    const scope = this.clock.scope();
    const options: StoreOptions = {
      replicated: this.size > 1, timers: scope, now: this.clock.now,
      // in one process a crash keeps the page cache: fsync would only cost time
      fsync: async () => undefined,
      log: this.transcript.logger(i, { component: "store" }),
      onError: (err) => this.transcript.add(i, `store error: ${String(err)}`),
    };
    const store = await MessageStore.open(n.dir, options);
    const repl = startReplication({
      group: "g", replica: i, replicas: this.size, failover: this.opts.failover, ack: this.opts.ack,
      electionTimeoutMs: this.electionTimeoutMs, fetchMaxBytes: this.opts.fetchMaxBytes, store, transport: this.network.transport(i), clock: scope,
      random: mulberry32(this.opts.seed * 7919 + i * 131 + n.incarnation).next, log: this.transcript.logger(i),
    });
    repl.on((e) => {
      if (n.repl !== repl) return;
      this.checker.event(i, e);
      const { at: _at, type, ...rest } = e;
      this.transcript.add(i, `${type} ${Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    });
    Object.assign(n, { store, repl, scope, seen: { commit: store.commitOffset } });
    this.transcript.add(i, `up: end ${store.maxPhysicalOffset} commit ${store.commitOffset} lastTerm ${store.lastTerm} term ${repl.term()}`);
  }

  /** After every simulated step: commit advances into the transcript, roles into the checker. */
  private observe(): void {
    for (const n of this.nodes) {
      if (!n.repl || !n.store) continue;
      this.checker.role(n.replica, n.repl.role(), n.repl.term());
      const commit = n.store.commitOffset;
      if (commit !== n.seen.commit) this.transcript.add(n.replica, `commit ${n.seen.commit} -> ${commit} (end ${n.store.maxPhysicalOffset})`);
      n.seen.commit = commit;
    }
  }
}

function describe(msgs: readonly PutMessage[]): string {
  const bodies = msgs.map((m) => Buffer.from(m.body).toString());
  return bodies.length <= 4 ? bodies.join(",") : `${bodies.slice(0, 2).join(",")},…,${bodies.at(-1)}`;
}

/** Runs a scenario on a fresh group; the transcript is written and the folders removed even when it fails. */
export async function withCluster(opts: ClusterOptions, scenario: (c: Cluster) => Promise<void>): Promise<void> {
  const c = await Cluster.start(opts);
  try {
    await scenario(c);
  } catch (err) {
    c.note(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  } finally {
    await c.close();
  }
}

/** n messages on one queue, bodies `${prefix}0`… */
export function batch(prefix: string, n: number, queueId = 0, topic = "t"): PutMessage[] {
  return Array.from({ length: n }, (_, k) => ({ topic, queueId, body: Buffer.from(`${prefix}${k}`) }));
}
