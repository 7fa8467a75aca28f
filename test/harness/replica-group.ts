// A replicated broker group as separate processes on a real nats-server:
// N `rbus broker` replicas (each its own data folder), two NameServers,
// short timings, and what a failover test does to them: kill -9, SIGSTOP,
// SIGCONT, restart, cut one off NATS through its own TCP proxy. Who is
// master is read from each replica's `status` reply; every wait is a
// waitUntil with a deadline.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeJson, subjects, type RoleEvent } from "../../src/protocol/index.js";
import { silentLogger } from "../../src/runtime/log.js";
import { subscribeJson } from "../../src/runtime/subscribe.js";
import type { NatsServer } from "./nats-server.js";
import { Node } from "./node-process.js";
import { spawnRbus } from "./processes.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
import { waitUntil } from "./wait.js";

const subj = subjects();

/** A replica's `replication` block of its status reply. */
export interface ReplicaStatus {
  role: "master" | "slave" | "candidate";
  term: number;
  master: number | null;
  commit: number;
  end: number;
  lagBytes?: number;
  followers: Array<{ replica: number; end: number; lagBytes: number; lastFetchAgoMs: number }>;
}

export interface ReplicaGroupOptions {
  server: NatsServer;
  /** Client connection for statuses and events. */
  nc: NatsConnection;
  /** Each replica's data lives in <dir>/<group>.<i>. */
  dir: string;
  group?: string;
  replicas?: number;
  electionTimeoutMs?: number;
  /** manual: replica 0 stays master, no election (no --election-timeout is passed). */
  failover?: "auto" | "manual";
  heartbeatMs?: number;
  ack?: "quorum" | "leader";
  flush?: "sync" | "async";
  /** Replicas that reach NATS through their own TCP proxy (see proxy(i)). */
  proxied?: number[];
  /** More `rbus broker` flags for every replica. */
  brokerArgs?: string[];
  /** RBUS_LOG for the brokers (default $FAILOVER_LOG, else info). */
  logLevel?: string;
  nameServers?: number;
}

export interface MasterView {
  replica: number;
  term: number;
  status: ReplicaStatus;
}

export class ReplicaGroup {
  readonly group: string;
  readonly size: number;
  readonly replicas: Node[] = [];
  readonly nameServers: Node[] = [];
  readonly proxies = new Map<number, TcpProxy>();
  /** Everything published on rbus.events.role.<group>, in arrival order. */
  readonly roleEvents: RoleEvent[] = [];

  private constructor(readonly o: ReplicaGroupOptions) {
    this.group = o.group ?? "broker-a";
    this.size = o.replicas ?? 3;
  }

  static async start(o: ReplicaGroupOptions): Promise<ReplicaGroup> {
    const g = new ReplicaGroup(o);
    subscribeJson<RoleEvent>(o.nc, subj.events.role(g.group), (e) => void g.roleEvents.push(e), { log: silentLogger });
    await o.nc.flush();
    try {
      await g.launch();
    } catch (err) {
      await g.close();
      throw err;
    }
    return g;
  }

  private async launch(): Promise<void> {
    const { o } = this;
    const url = o.server.url;
    for (let n = 1; n <= (o.nameServers ?? 2); n++) {
      const args = ["nameserver", "--nats", url, "--id", `ns-${n}`, "--scan-interval", "200", "--suspect-after", "2000", "--dead-after", "4000"];
      this.nameServers.push(new Node(`ns-${n}`, () => spawnRbus(args)).start());
    }
    for (let i = 0; i < this.size; i++) {
      if (o.proxied?.includes(i)) this.proxies.set(i, await startTcpProxy({ port: o.server.port }));
      const nats = this.proxies.get(i)?.url ?? url;
      const args = [
        "broker", "--nats", nats, "--group", this.group, "--replica", String(i), "--replicas", String(this.size),
        "--data", this.dataDir(i),
        ...(o.failover === "manual" ? ["--failover", "manual"] : ["--election-timeout", String(o.electionTimeoutMs ?? 1000)]),
        "--heartbeat-interval", String(o.heartbeatMs ?? 1000), "--ack", o.ack ?? "quorum", "--flush", o.flush ?? "sync",
        ...(o.brokerArgs ?? []),
      ];
      const env = { RBUS_LOG: o.logLevel ?? process.env.FAILOVER_LOG ?? "info" };
      this.replicas.push(new Node(`${this.group}.${i}`, () => spawnRbus(args, env)).start());
    }
    await this.waitMaster({ timeoutMs: 20_000 });
  }

  dataDir(i: number): string {
    return join(this.o.dir, `${this.group}.${i}`);
  }

  replica(i: number): Node {
    const r = this.replicas[i];
    if (!r) throw new Error(`no replica ${i} in ${this.group}`);
    return r;
  }

  proxy(i: number): TcpProxy {
    const p = this.proxies.get(i);
    if (!p) throw new Error(`replica ${i} of ${this.group} was not started behind a proxy (options.proxied)`);
    return p;
  }

  /** Replica i's replication status, or undefined when it does not answer in time (dead, paused, cut off). */
  async status(i: number, timeoutMs = 500): Promise<ReplicaStatus | undefined> {
    try {
      const reply = await this.o.nc.request(subj.broker(this.group, i, "status"), "{}", { timeout: timeoutMs });
      return (decodeJson(reply.data) as { replication?: ReplicaStatus }).replication;
    } catch {
      return undefined;
    }
  }

  statuses(timeoutMs = 500): Promise<Array<ReplicaStatus | undefined>> {
    return Promise.all(this.replicas.map((_, i) => this.status(i, timeoutMs)));
  }

  /**
   * The master as the group sees it now: a replica that says it is master,
   * at the highest term any answering replica reports, followed at that
   * term by a majority (itself included). Undefined when there is none.
   */
  async master(): Promise<MasterView | undefined> {
    const all = await this.statuses();
    const top = Math.max(...all.map((s) => s?.term ?? -1));
    const i = all.findIndex((s) => s?.role === "master" && s.term === top);
    if (i < 0) return undefined;
    const followers = all.filter((s, j) => j !== i && s?.term === top && s.master === i).length;
    return followers + 1 >= Math.floor(this.size / 2) + 1 ? { replica: i, term: top, status: all[i]! } : undefined;
  }

  /** Waits for a master (not one of `not`, at a term of at least `minTerm`). */
  waitMaster(o: { not?: number[]; minTerm?: number; timeoutMs?: number } = {}): Promise<MasterView> {
    return waitUntil(`a master of ${this.group}${o.not?.length ? ` other than ${o.not.join(", ")}` : ""}`, async () => {
      const m = await this.master();
      return m && !o.not?.includes(m.replica) && m.term >= (o.minTerm ?? 0) ? m : undefined;
    }, { timeoutMs: o.timeoutMs ?? 10_000, intervalMs: 50 });
  }

  /** Waits until replica i's log reaches the master's end as it was when sampled (works under load). */
  waitCaughtUp(i: number, timeoutMs = 10_000): Promise<{ end: number; masterEnd: number }> {
    return waitUntil(`${this.group}.${i} caught up with its master`, async () => {
      const m = await this.master();
      if (!m || m.replica === i) return undefined;
      const s = await this.status(i);
      return s && s.role === "slave" && s.master === m.replica && s.term === m.term && s.end >= m.status.end ? { end: s.end, masterEnd: m.status.end } : undefined;
    }, { timeoutMs, intervalMs: 100 });
  }

  /**
   * Waits until replica i holds the master's log and knows its commit (end
   * and commit equal): for a group no longer written to. A slave learns the
   * commit offset from its next fetch, so it trails the master's by one.
   */
  waitInSync(i: number, timeoutMs = 10_000): Promise<ReplicaStatus> {
    return waitUntil(`${this.group}.${i} in sync with its master (same end and commit)`, async () => {
      const m = await this.master();
      const s = m && m.replica !== i ? await this.status(i) : undefined;
      return s && s.master === m!.replica && s.end === m!.status.end && s.commit === m!.status.commit ? s : undefined;
    }, { timeoutMs, intervalMs: 100 });
  }

  async kill(i: number): Promise<void> {
    await this.replica(i).stop("SIGKILL");
  }

  pause(i: number): void {
    this.replica(i).signal("SIGSTOP");
  }

  resume(i: number): void {
    this.replica(i).signal("SIGCONT");
  }

  /** Starts replica i again (after kill or stop) and waits until it answers its status. */
  async restart(i: number, timeoutMs = 20_000): Promise<void> {
    const r = this.replica(i);
    if (r.alive()) throw new Error(`${r.name} is still running`);
    r.start();
    const up = await waitUntil(`${r.name} serving`, async () => (!r.alive() ? "exited" : (await this.status(i)) && "serving"), { timeoutMs, intervalMs: 100 });
    if (up === "exited") throw new Error(`${r.name} exited instead of serving:\n${r.output().trim().split("\n").slice(-10).join("\n")}`);
  }

  /**
   * Replica i's role changes as its own log tells them (every life): unlike
   * role events, these survive a replica cut off NATS when they happen.
   */
  roleChanges(i: number): Array<{ at: number; role: string; term: number; reason: string }> {
    const out: Array<{ at: number; role: string; term: number; reason: string }> = [];
    for (const line of this.replica(i).history().split("\n")) {
      if (!line.includes('"role changed"')) continue;
      try {
        const o = JSON.parse(line) as { t: string; role: string; term: number; reason: string };
        out.push({ at: Date.parse(o.t), role: o.role, term: o.term, reason: o.reason });
      } catch {
        // a line cut by a kill
      }
    }
    return out;
  }

  /** The last lines of every replica's every life, for an assertion message. */
  tail(lines = 15): string {
    return this.replicas.map((r) => `${r.name}:\n${r.history().trim().split("\n").slice(-lines).join("\n")}`).join("\n");
  }

  /** Writes every node's output under <dir>/logs and returns that folder. */
  saveLogs(): string {
    const dir = join(this.o.dir, "logs");
    mkdirSync(dir, { recursive: true });
    for (const n of [...this.replicas, ...this.nameServers]) writeFileSync(join(dir, `${n.name}.log`), n.history());
    writeFileSync(join(dir, "role-events.jsonl"), this.roleEvents.map((e) => JSON.stringify(e)).join("\n") + "\n");
    return dir;
  }

  async close(): Promise<void> {
    for (const p of this.proxies.values()) p.heal();
    await Promise.all([...this.replicas, ...this.nameServers].map((n) => n.stop("SIGKILL")));
    await Promise.all([...this.proxies.values()].map((p) => p.stop()));
  }
}
