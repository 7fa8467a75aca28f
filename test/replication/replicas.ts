// The replicas of one group as processes in one test process: a real
// MessageStore per replica on a temp folder, startReplication per replica,
// linked by the fake network and driven by one simulated clock. They crash
// (kill -9: timers die, the store keeps what it wrote, nothing is cleaned
// up), pause (SIGSTOP), stop and restart; every step is observed for the
// transcript and the checker. cluster.ts adds writes, reads and checks.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { AckLevel, Failover, Replication } from "../../actors/replication.js";
import type { MessageStore } from "../../src/store/index.js";
import { Checker } from "./checker.js";
import { FakeNetwork, type NetEvent } from "./fake-network.js";
import type { QueueKey } from "./read-queues.js";
import { bootReplica } from "./replica-process.js";
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

interface Node {
  replica: number;
  dir: string;
  incarnation: number;
  store?: MessageStore;
  repl?: Replication;
  scope?: ScopedClock;
  seen: { commit: number };
}

export class ReplicaSet {
  readonly clock = new SimClock();
  readonly transcript = new Transcript(this.clock);
  readonly network: FakeNetwork;
  readonly checker = new Checker();
  readonly electionTimeoutMs: number;
  readonly queues = new Set<QueueKey>();
  protected readonly nodes: Node[];
  private readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "rbus-repl-"));
  private readonly unhandled = (err: unknown) => this.checker.fault(`unhandled rejection: ${String(err)}`);

  protected constructor(readonly opts: Required<ClusterOptions>) {
    this.electionTimeoutMs = opts.electionTimeoutMs;
    this.network = new FakeNetwork({
      clock: this.clock, replicas: opts.replicas, seed: opts.seed, delayMs: opts.delayMs,
      onEvent: (e) => {
        if (opts.showNet(e)) this.transcript.net(e);
        if (e.kind === "fault" && e.what.startsWith("handler threw")) this.checker.fault(`r${e.from}'s ${e.api} handler threw: ${e.what}`);
      },
    });
    this.nodes = Array.from({ length: opts.replicas }, (_, replica) => ({
      replica, dir: path.join(this.root, `r${replica}`), incarnation: 0, seen: { commit: 0 },
    }));
    this.clock.onStep(() => this.observe());
    process.on("unhandledRejection", this.unhandled);
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

  /** SIGSTOP: the process keeps its connection but runs nothing (timers, handlers, replies wait). */
  pause(i: number): void {
    this.transcript.add(i, "PAUSE");
    this.node(i).scope?.freeze();
    this.network.pause(i);
  }

  /** SIGCONT: what waited runs now, oldest first. */
  resume(i: number): void {
    this.transcript.add(i, "RESUME");
    this.network.resume(i);
    this.node(i).scope?.thaw();
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

  protected node(i: number): Node {
    const n = this.nodes[i];
    if (!n) throw new Error(`no replica ${i}`);
    return n;
  }

  protected async boot(n: Node): Promise<void> {
    const { store, repl, scope } = await bootReplica(
      { ...this.opts, clock: this.clock, network: this.network, transcript: this.transcript, checker: this.checker },
      n.replica, n.dir, n.incarnation, (r) => n.repl === r,
    );
    Object.assign(n, { store, repl, scope, seen: { commit: store.commitOffset } });
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
