// The dashboard's view of the cluster, kept current: it hears every
// node's state machines (rbus.inspect.>) and events (rbus.events.>, from
// the events stream's history on when there is one), polls the cluster
// every 2 s (NameServers, broker table, each live replica's status,
// metrics and topics), asks each server node for its machines when it
// first appears or restarts, and tells its listeners what changed.
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { Admin, type TopicPlacement } from "../client/admin.js";
import { nodeMetrics } from "../metrics/collect.js";
import { decodeJson, subjects, type ClusterInfo, type NameServerInfo, type Subjects, type TopicConfig } from "../protocol/index.js";
import { isInspectEvent, type InspectEvent, type MachinesNow } from "../runtime/inspect.js";
import { silentLogger, type Logger } from "../runtime/log.js";
import { requestJson } from "../runtime/request.js";
import type { ClusterView, DashboardSnapshot, StreamEvent } from "./api.js";
import { clusterView, inspectToken, replicaNode, sampleOf, type PollResult, type ReplicaAnswer, type ReplicaStatus } from "./cluster-view.js";
import { followEvents, type EventFollower } from "./events-follow.js";
import { DEFAULT_HUB_LIMITS, HubState, type DropReason, type HubLimits } from "./hub-state.js";

export interface HubOptions {
  prefix?: string;
  pollMs?: number;
  /** For each request of a poll. */
  timeoutMs?: number;
  limits?: Partial<HubLimits>;
  log?: Logger;
}

/** At most one warning about dropped messages in this window; the counts say how many. */
const WARN_EVERY_MS = 10_000;

type MachinesAsk = { startedAt: number; state: "asking" | "done" | "failed" };

export class Hub {
  readonly state: HubState;
  private readonly subj: Subjects;
  private readonly admin: Admin;
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly listeners = new Set<(e: StreamEvent) => void>();
  private readonly subs: Subscription[] = [];
  private events: EventFollower | undefined;
  private cluster: ClusterView = { at: 0, nameServers: [], brokers: [], topics: [], consumerGroups: [] };
  private readonly asked = new Map<string, MachinesAsk>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  private lastWarnAt = -Infinity;

  constructor(private readonly nc: NatsConnection, opts: HubOptions = {}) {
    this.subj = subjects(opts.prefix);
    this.pollMs = opts.pollMs ?? 2000;
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.admin = new Admin(nc, { prefix: this.subj.prefix, timeoutMs: this.timeoutMs });
    this.log = opts.log ?? silentLogger;
    this.state = new HubState({ ...DEFAULT_HUB_LIMITS, ...opts.limits });
  }

  get prefix(): string {
    return this.subj.prefix;
  }

  /** Subscribes, reads the events' history, and polls once before it returns, so a first snapshot has the cluster. */
  async start(): Promise<void> {
    this.subs.push(this.nc.subscribe(this.subj.inspectAll, { callback: (err, msg) => void (err ? this.log.warn("inspect subscription", { error: err.message }) : this.onInspect(msg)) }));
    this.events = await followEvents(this.nc, this.subj, {
      history: this.state.limits.maxEvents,
      maxBytes: this.state.limits.maxMessageBytes,
      log: this.log,
      onEvent: (e) => {
        this.state.event(e);
        this.emit({ type: "event", data: e });
      },
      onDrop: () => this.dropped("size"),
    });
    await this.nc.flush();
    await this.pollOnce();
    this.schedule();
  }

  onEvent(listener: (e: StreamEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): DashboardSnapshot {
    return this.state.snapshot({ at: Date.now(), prefix: this.subj.prefix, cluster: this.cluster });
  }

  private emit(e: StreamEvent): void {
    for (const l of this.listeners) l(e);
  }

  private dropped(reason: DropReason): void {
    this.state.drop(reason);
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.log.warn("dashboard dropped messages beyond its bounds", { dropped: { ...this.state.dropped }, limits: this.state.limits });
  }

  /** A live inspect event: bounded in size, and its node must be the subject's, which NATS permissions guard. */
  private onInspect(msg: Msg): void {
    if (msg.data.length > this.state.limits.maxMessageBytes) return this.dropped("size");
    let e: InspectEvent;
    try {
      e = isInspectEvent(decodeJson(msg.data));
    } catch {
      return this.dropped("malformed");
    }
    if (`${this.subj.prefix}.inspect.${inspectToken(e.node)}` !== msg.subject) return this.dropped("spoofed");
    const result = this.state.inspect(e, Date.now());
    if (result === "repeat") return;
    if (result) return this.dropped(result);
    this.emit({ type: "inspect", data: e });
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.pollOnce().finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref?.();
  }

  /** One poll, never two at once. */
  pollOnce(): Promise<void> {
    this.polling ??= this.poll()
      .catch((err: unknown) => this.log.warn("dashboard poll failed", { error: err instanceof Error ? err.message : String(err) }))
      .finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async poll(): Promise<void> {
    const at = Date.now();
    const nameServers: NameServerInfo[] = await this.admin.nameServers().catch(() => []);
    const cluster: ClusterInfo | undefined = nameServers.length ? await this.admin.cluster().catch(() => undefined) : undefined;
    const seen = new Set<string>();
    const infos = (cluster?.brokers ?? []).filter((b) => !seen.has(replicaNode(b)) && !!seen.add(replicaNode(b)));
    const replicas = await Promise.all(infos.map((info) => this.askReplica(info)));
    const topics = await this.topicsOf(replicas);
    if (this.closed) return;
    const poll: PollResult = { at, nameServers, ...(cluster ? { cluster } : {}), replicas, topics };
    this.notePolled(poll);
    this.cluster = clusterView(
      poll,
      (node, actor) => this.state.actorsOf(node).find((a) => a.actor === actor),
      (node) => this.state.actorsOf(node).find((a) => a.machine === "rebalance"),
    );
    const sample = sampleOf(poll, this.cluster);
    this.state.sample(sample);
    this.state.forgetQuiet(at);
    this.emit({ type: "cluster", data: this.cluster });
    this.emit({ type: "nodes", data: [...this.state.nodes.values()] });
    this.emit({ type: "sample", data: sample });
  }

  private async askReplica(info: ReplicaAnswer["info"]): Promise<ReplicaAnswer> {
    if (info.liveness === "dead") return { info };
    const [status, metrics] = await Promise.all([
      requestJson<ReplicaStatus>(this.nc, this.subj.brokerApi(info.address, "status"), {}, this.timeoutMs).catch(() => undefined),
      nodeMetrics(this.nc, replicaNode(info), { prefix: this.subj.prefix, timeoutMs: this.timeoutMs }).catch(() => undefined),
    ]);
    return { info, ...(status ? { status } : {}), ...(metrics?.kind === "broker" ? { metrics } : {}) };
  }

  /** Every topic on every live master, one row per (topic, group). */
  private async topicsOf(replicas: ReplicaAnswer[]): Promise<TopicPlacement[]> {
    const masters = replicas.filter((r) => r.info.role === "master" && r.info.liveness !== "dead");
    const rows = await Promise.all(
      masters.map(async ({ info }) => {
        const subject = this.subj.brokerApi(info.address, "topic.list");
        const answer = await requestJson<{ topics: TopicConfig[] }>(this.nc, subject, {}, this.timeoutMs).catch(() => ({ topics: [] }));
        return answer.topics.map((t) => ({ ...t, group: info.group }));
      }),
    );
    return rows.flat();
  }

  /** Nodes the poll names: NameServers, replicas, and the consumers their groups list; server nodes are asked for their machines. */
  private notePolled(poll: PollResult): void {
    const names: string[] = [];
    for (const ns of poll.nameServers) {
      this.state.touch(ns.nameServer, poll.at, { kind: "nameserver" });
      names.push(ns.nameServer);
      this.askMachines(ns.nameServer, ns.startedAt);
    }
    for (const r of poll.replicas) {
      const node = replicaNode(r.info);
      this.state.touch(node, r.metrics ? poll.at : r.info.lastHeartbeatAt, { kind: "broker", group: r.info.group, replica: r.info.replica });
      names.push(node);
      if (r.metrics) this.askMachines(node, r.metrics.startedAt);
      for (const g of r.status?.consumerGroups ?? []) {
        for (const clientId of g.members) {
          if (this.state.touch(clientId, poll.at, { kind: "consumer", consumerGroup: g.group })) names.push(clientId);
        }
      }
    }
    this.state.setPolled(names);
  }

  /** rbus.machines.<node> on first sight, after a restart, and again after a failed ask. */
  private askMachines(node: string, startedAt: number): void {
    const known = this.asked.get(node);
    if (known && known.startedAt === startedAt && known.state !== "failed") return;
    const ask: MachinesAsk = { startedAt, state: "asking" };
    this.asked.set(node, ask);
    requestJson<MachinesNow>(this.nc, this.subj.machines(node), {}, this.timeoutMs).then(
      (answer) => {
        ask.state = "done";
        if (this.closed || !Array.isArray(answer?.actors)) return;
        const events: InspectEvent[] = [];
        for (const a of answer.actors.slice(0, this.state.limits.maxActors)) {
          try {
            const e = isInspectEvent(a);
            if (e.node === node) events.push(e);
          } catch {
            // a node's own answer; a bad entry is skipped, the rest drawn
          }
        }
        this.state.replaceActors(node, events, Date.now());
        for (const e of this.state.actorsOf(node)) this.emit({ type: "inspect", data: e });
      },
      (err: unknown) => {
        ask.state = "failed";
        this.log.debug("machines not answered", { node, error: err instanceof Error ? err.message : String(err) });
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.polling;
    await this.events?.stop();
    await Promise.all(this.subs.map((s) => s.drain().catch(() => undefined)));
    this.listeners.clear();
  }
}
