// rbus metrics: every node's counters (or one node's) as a table or JSON;
// rbus metrics serve: the Prometheus exporter (GET /metrics).
import { collectMetrics, nodeMetrics, type NodeAnswer } from "../metrics/collect.js";
import { DEFAULT_METRICS_PORT, serveMetrics } from "../metrics/server.js";
import type { NodeMetrics } from "../protocol/metrics.js";
import { connectFromFlags, intArg, untilSignal } from "./args.js";
import { withNats } from "./connected.js";
import type { NatsFlags } from "./options.js";
import { table } from "./table.js";

export async function metricsCommand(values: NatsFlags & { node?: string; json: boolean }): Promise<void> {
  await withNats(values, async (nc) => {
    const opts = { prefix: values.prefix };
    const answers: NodeAnswer[] = values.node
      ? [{ node: values.node, kind: "broker", metrics: await nodeMetrics(nc, values.node, opts) }]
      : await collectMetrics(nc, opts);
    if (answers.length === 0) throw new Error(`no NameServer answers on ${values.nats}; start the cluster with: make run-cluster`);
    if (values.json) {
      const out = answers.map((a) => a.metrics ?? { node: a.node, kind: a.kind, error: a.error });
      console.log(JSON.stringify(values.node ? out[0] : out, null, 2));
      return;
    }
    const rows = answers.map((a) => row(a.node, a.metrics, a.error));
    console.log(table(["NODE", "ROLE", "PUT MSGS", "PUT BYTES", "PULLS", "GOT MSGS", "LOG BYTES", "END", "COMMIT", "LAG", "REGISTRATIONS", "ALIVE/SUSPECT/DEAD"], rows));
  });
}

function row(node: string, m: NodeMetrics | undefined, error: string | undefined): string[] {
  if (!m) return [node, `no answer: ${error ?? "?"}`];
  if (m.kind === "nameserver") {
    return [node, "nameserver", "", "", "", "", "", "", "", "", String(m.registrations), `${m.brokers.alive}/${m.brokers.suspect}/${m.brokers.dead}`];
  }
  const lag = m.lag.reduce((n, q) => n + q.lag, 0);
  return [
    node, `${m.role}@${m.term}`, String(m.put.messages), String(m.put.bytes), String(m.pull.requests), String(m.pull.messages),
    String(m.commitLog.bytes), String(m.commitLog.endOffset), String(m.commitLog.commitOffset), String(lag), "", "",
  ];
}

export async function metricsServeCommand(values: NatsFlags & { port?: string; host: string }): Promise<void> {
  const port = intArg(values.port, "port") ?? DEFAULT_METRICS_PORT;
  const nc = await connectFromFlags(values, "rbus-metrics");
  const server = await serveMetrics(nc, { prefix: values.prefix, port, host: values.host });
  console.log(`metrics at http://${values.host}:${server.port}/metrics`);
  untilSignal(async () => {
    await server.close();
    await nc.close();
  });
}
