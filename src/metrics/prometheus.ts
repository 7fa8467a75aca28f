// Renders the nodes' metrics in Prometheus's text format, named after
// RocketMQ's exporter (rocketmq_broker_tps → rocketbus_broker_put_messages_total,
// rocketmq_group_diff → rocketbus_consumer_lag_messages, …). A fresh
// registry per scrape: the nodes keep the counters, this only relabels them.
import { Counter, Gauge, Registry } from "prom-client";
import type { BrokerMetrics, NameServerMetrics } from "../protocol/metrics.js";
import type { NodeAnswer } from "./collect.js";

export const PROMETHEUS_CONTENT_TYPE = new Registry().contentType;

type Labels = Record<string, string | number>;

export async function renderPrometheus(answers: readonly NodeAnswer[]): Promise<string> {
  const registers = [new Registry()];
  const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers });
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers });
  const R = ["cluster", "group", "replica"];

  const up = gauge("rocketbus_node_up", "1 when the node answered rbus.metrics.<node> for this scrape, else 0", ["node", "kind"]);
  const requests = counter("rocketbus_requests_total", "Requests a node served, per endpoint (as $SRV.STATS counts them)", ["node", "endpoint"]);
  const errors = counter("rocketbus_request_errors_total", "Requests answered with an error, per endpoint", ["node", "endpoint"]);
  const seconds = counter("rocketbus_request_seconds_total", "Time spent answering requests, per endpoint", ["node", "endpoint"]);
  const b = {
    putMessages: counter("rocketbus_broker_put_messages_total", "Messages stored by send and send.batch", [...R, "topic"]),
    putBytes: counter("rocketbus_broker_put_bytes_total", "Message body bytes stored by send and send.batch", [...R, "topic"]),
    putRequests: counter("rocketbus_broker_put_requests_total", "send and send.batch requests", R),
    pullRequests: counter("rocketbus_broker_pull_requests_total", "pull requests", R),
    pullMessages: counter("rocketbus_broker_get_messages_total", "Messages returned by pulls", R),
    pullBytes: counter("rocketbus_broker_get_bytes_total", "Pull reply bytes", R),
    logBytes: gauge("rocketbus_broker_commitlog_bytes", "Bytes in the commit log's segment files", R),
    logEnd: gauge("rocketbus_broker_commitlog_end_offset", "Commit-log end offset", R),
    logMin: gauge("rocketbus_broker_commitlog_min_offset", "Commit-log first offset kept", R),
    commit: gauge("rocketbus_broker_commit_offset", "Commit offset: what a majority of the group holds", R),
    messages: gauge("rocketbus_broker_messages", "Messages reachable through consume queues", R),
    role: gauge("rocketbus_broker_role", "1 for the replica's current role", [...R, "role"]),
    term: gauge("rocketbus_broker_term", "The replica's current term", R),
    roleChanges: counter("rocketbus_role_changes_total", "Times the replica's role changed", R),
    elections: counter("rocketbus_elections_total", "Elections the replica started and won", [...R, "outcome"]),
    truncations: counter("rocketbus_broker_truncations_total", "Times the replica cut its log back to its master's", R),
    lag: gauge("rocketbus_consumer_lag_messages", "Messages a consumer group has not committed on a queue (from its group's master)", ["consumer_group", "topic", "cluster", "group", "queue"]),
    timersPending: gauge("rocketbus_timer_pending", "Timer and delayed messages (retries included) not delivered yet, on the master", R),
    timersDelivered: counter("rocketbus_timer_delivered_total", "Timer messages this replica delivered into their topics", R),
    timerLateness: gauge("rocketbus_timer_lateness_ms", "Lateness of the recent timer deliveries (store time less due time), by quantile", [...R, "quantile"]),
    halvesPending: gauge("rocketbus_transaction_half_pending", "Half messages not committed or rolled back yet, on the master", R),
    offset: gauge("rocketbus_consumer_offset", "A consumer group's committed offset on a queue (from its group's master)", ["consumer_group", "topic", "cluster", "group", "queue"]),
  };
  const ns = {
    brokers: gauge("rocketbus_nameserver_brokers", "Broker replicas in a NameServer's table, by liveness", ["nameserver", "liveness"]),
    registrations: counter("rocketbus_nameserver_registrations_total", "Registrations a NameServer took", ["nameserver"]),
    refusals: counter("rocketbus_nameserver_refusals_total", "Registrations and unregisters refused, by reason", ["nameserver", "reason"]),
    transitions: counter("rocketbus_nameserver_liveness_transitions_total", "Liveness changes a NameServer saw", ["nameserver", "from", "to"]),
  };

  const broker = (m: BrokerMetrics) => {
    const l: Labels = { cluster: m.cluster, group: m.group, replica: m.replica };
    for (const [topic, v] of Object.entries(m.put.topics)) {
      b.putMessages.inc({ ...l, topic }, v.messages);
      b.putBytes.inc({ ...l, topic }, v.bytes);
    }
    b.putRequests.inc(l, m.put.requests);
    b.pullRequests.inc(l, m.pull.requests);
    b.pullMessages.inc(l, m.pull.messages);
    b.pullBytes.inc(l, m.pull.bytes);
    b.logBytes.set(l, m.commitLog.bytes);
    b.logEnd.set(l, m.commitLog.endOffset);
    b.logMin.set(l, m.commitLog.minOffset);
    b.commit.set(l, m.commitLog.commitOffset);
    b.messages.set(l, m.commitLog.messages);
    b.role.set({ ...l, role: m.role }, 1);
    b.term.set(l, m.term);
    b.roleChanges.inc(l, m.roleChanges);
    b.elections.inc({ ...l, outcome: "started" }, m.elections.started);
    b.elections.inc({ ...l, outcome: "won" }, m.elections.won);
    b.truncations.inc(l, m.truncations);
    if (m.timers) {
      b.timersDelivered.inc(l, m.timers.delivered);
      if (m.timers.running) {
        b.timersPending.set(l, m.timers.pending);
        const late = m.timers.lateness;
        if (late.count > 0) for (const [quantile, v] of [["0.5", late.p50], ["0.99", late.p99], ["1", late.max]] as const) b.timerLateness.set({ ...l, quantile }, v);
      }
    }
    if (m.transactions && m.role === "master") b.halvesPending.set(l, m.transactions.pending);
    // slaves hold copies of the master's offsets: one series per group, not per replica
    if (m.role !== "master") return;
    for (const q of m.lag) {
      const ql = { consumer_group: q.consumerGroup, topic: q.topic, cluster: m.cluster, group: m.group, queue: q.queue };
      b.lag.set(ql, q.lag);
      b.offset.set(ql, q.committed);
    }
  };
  const nameServer = (m: NameServerMetrics) => {
    const l = { nameserver: m.node };
    for (const [liveness, n] of Object.entries(m.brokers)) ns.brokers.set({ ...l, liveness }, n);
    ns.registrations.inc(l, m.registrations);
    for (const [reason, n] of Object.entries(m.refusals)) ns.refusals.inc({ ...l, reason }, n);
    for (const t of m.livenessTransitions) ns.transitions.inc({ ...l, from: t.from, to: t.to }, t.count);
  };

  for (const a of answers) {
    up.set({ node: a.node, kind: a.kind }, a.metrics ? 1 : 0);
    const m = a.metrics;
    if (!m) continue;
    for (const e of m.endpoints) {
      const el = { node: a.node, endpoint: e.name };
      requests.inc(el, e.num_requests);
      errors.inc(el, e.num_errors);
      seconds.inc(el, e.processing_time / 1e9);
    }
    if (m.kind === "broker") broker(m);
    else nameServer(m);
  }
  return registers[0]!.metrics();
}
