// The Prometheus exporter's HTTP side: GET /metrics asks every node at
// scrape time (collect.ts) and answers in the text format; nothing is
// cached, so a scrape shows what the nodes count now.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { NatsConnection } from "@nats-io/transport-node";
import { collectMetrics, type CollectOptions } from "./collect.js";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./prometheus.js";

export const DEFAULT_METRICS_PORT = 9464;

export interface MetricsServer {
  server: Server;
  /** The port it listens on (the one asked, or the one the system chose for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Answers GET /metrics from every node's answers now; another HTTP server
 * (the dashboard's) can route its own /metrics here.
 */
export function answerMetrics(nc: NatsConnection, opts: CollectOptions, res: ServerResponse): void {
  collectMetrics(nc, opts)
    .then(renderPrometheus)
    .then(
      (text) => res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(text),
      (err: unknown) => res.writeHead(503, { "content-type": "text/plain" }).end(`cannot collect metrics: ${err instanceof Error ? err.message : String(err)}\n`),
    );
}

export async function serveMetrics(nc: NatsConnection, opts: CollectOptions & { port?: number; host?: string } = {}): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || (path !== "/metrics" && path !== "/")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: ask GET /metrics\n");
      return;
    }
    if (path === "/") res.writeHead(200, { "content-type": "text/html" }).end('<a href="/metrics">/metrics</a>\n');
    else answerMetrics(nc, opts, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? DEFAULT_METRICS_PORT, opts.host ?? "127.0.0.1", () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
