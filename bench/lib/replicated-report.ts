// The replication section of docs/BENCHMARKS.md: one 100 B load against a
// group of 1 replica, 3 replicas acknowledging at quorum or at the leader,
// and JetStream R3 on a 3-node NATS cluster, then the ratios the design
// aims at.

/** What one configuration did with the load. */
export interface ReplicatedFigures {
  /** sendAsync (Rocketbus) or async publish (JetStream), msgs/s. */
  throughput: number;
  /** One send in flight, ms. */
  p50: number;
  p99: number;
  /** CPU (user + system) of every process, bench client included, per message of the produce run (µs). */
  cpuUsPerMessage?: number;
  /** The same by process: master, slaves, nats-server(s), client. */
  cpuSplitUs?: Record<string, number>;
  /** Set when something happened that makes the figures doubtful (an election mid-run). */
  warning?: string;
}

export interface ReplicatedRatio {
  metric: string;
  value: number;
  target?: string;
  met?: boolean;
}

export interface ReplicatedSection {
  messages: { rocketbus: number; jetstream: number; latencySamples: number };
  oneReplica: ReplicatedFigures;
  quorum: ReplicatedFigures;
  leader: ReplicatedFigures;
  jetstreamR3: ReplicatedFigures;
  ratios: ReplicatedRatio[];
}

export function replicatedRatios(s: Omit<ReplicatedSection, "ratios" | "messages">): ReplicatedRatio[] {
  const keep = s.quorum.throughput / s.oneReplica.throughput;
  const slow = s.quorum.p50 / s.leader.p50;
  return [
    { metric: "throughput, 3 replicas at quorum ÷ 1 replica", value: keep, target: "≥ 0.5×", met: keep >= 0.5 },
    { metric: "send p50, ack=quorum ÷ ack=leader (3 replicas)", value: slow, target: "≤ 2×", met: slow <= 2 },
    { metric: "throughput, 3 replicas at leader ÷ 1 replica", value: s.leader.throughput / s.oneReplica.throughput },
    { metric: "throughput, Rocketbus R3 (quorum) ÷ JetStream R3", value: s.quorum.throughput / s.jetstreamR3.throughput },
    { metric: "send p50, Rocketbus R3 (quorum) ÷ JetStream R3", value: s.quorum.p50 / s.jetstreamR3.p50 },
  ];
}

const num = (v: number, unit: string) =>
  Number.isNaN(v) ? "–" : unit === "msgs/s" || v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(v >= 10 ? 1 : 3);

export function replicatedMarkdown(s: ReplicatedSection): string[] {
  const cols = [s.oneReplica, s.quorum, s.leader, s.jetstreamR3];
  const row = (metric: string, unit: string, pick: (f: ReplicatedFigures) => number) =>
    `| ${metric} (${unit}) | ${cols.map((f) => num(pick(f), unit)).join(" | ")} |`;
  const lines = [
    "",
    "## Replicated groups",
    "",
    `The same 100 B load as (a) and (b) — ${s.messages.rocketbus.toLocaleString("en-US")} sendAsync (JetStream: ${s.messages.jetstream.toLocaleString("en-US")} async publishes, 1 000 acks outstanding),`,
    `then ${s.messages.latencySamples.toLocaleString("en-US")} sends one at a time — against a fresh group for each configuration: a nats-server, a NameServer and`,
    "each replica as its own `rbus broker` process (async flush, own data folder); JetStream R3 is a file-stored stream with",
    "`num_replicas: 3` on a local cluster of three nats-server processes joined by routes, the client connected to one of them.",
    "Rocketbus's replicas share one nats-server here, so its replication crosses no route. A configuration's processes",
    "share the host's cores: the CPU row (what one message costs across all of them, slaves and nats-servers included)",
    "bounds its throughput on a host with fewer cores than busy processes. `node dist/bench/replicated.js [--quick]` runs this",
    "scenario alone (`--only`, `--messages`, `--samples`; `RBUS_BENCH_PROFILE=<dir>` writes each replica's CPU profile).",
    "",
    "| metric | 1 replica | 3 replicas, ack=quorum | 3 replicas, ack=leader | JetStream R3 |",
    "|---|---:|---:|---:|---:|",
    row("produce 100 B, throughput", "msgs/s", (f) => f.throughput),
    row("send, 1 in flight, p50", "ms", (f) => f.p50),
    row("send, 1 in flight, p99", "ms", (f) => f.p99),
    row("CPU per message produced, all processes", "µs", (f) => f.cpuUsPerMessage ?? NaN),
    "",
    "| ratio | value | target |",
    "|---|---:|---|",
    ...s.ratios.map((r) => `| ${r.metric} | ${Number.isNaN(r.value) ? "–" : `${r.value.toFixed(2)}×`} | ${r.target ? `${r.target}${Number.isNaN(r.value) ? "" : r.met ? " ✓" : " ✗"}` : ""} |`),
  ];
  const missed = s.ratios.filter((r) => r.target && r.met === false && !Number.isNaN(r.value));
  if (missed.length) {
    lines.push("", ...missed.map((r) => `- ${r.metric} misses its target (${r.target}) in this run; why: [performance.md](performance.md#the-replicated-path-at-ack-quorum)`));
  }
  const names: Array<[string, ReplicatedFigures]> = [["1 replica", s.oneReplica], ["3 replicas, ack=quorum", s.quorum], ["3 replicas, ack=leader", s.leader], ["JetStream R3", s.jetstreamR3]];
  const splits = names.filter(([, f]) => f.cpuSplitUs);
  if (splits.length) {
    lines.push("", "CPU per message produced, by process (µs; user + system, from /proc, during the produce run):", "");
    for (const [name, f] of splits) lines.push(`- ${name}: ${Object.entries(f.cpuSplitUs!).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`);
  }
  const warnings = names.filter(([, f]) => f.warning);
  if (warnings.length) lines.push("", ...warnings.map(([name, f]) => `- ${name}: ${f.warning}`));
  return lines;
}
