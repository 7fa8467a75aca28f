// A dashboard: the machines laid out once, the hub following the cluster,
// its changes streamed to every open page, and the HTTP routes.
import type { NatsConnection } from "@nats-io/transport-node";
import { silentLogger, type Logger } from "../runtime/log.js";
import { Hub, type HubOptions } from "./hub.js";
import { layoutMachines } from "./layout.js";
import { assetRoute, DEFAULT_ASSETS, messageRoute, metricsRoute, snapshotRoute } from "./routes.js";
import { machinesRoute, serveDashboard, type DashboardServer } from "./server.js";
import { SseClients } from "./sse.js";

export interface DashboardOptions extends HubOptions {
  port?: number;
  host?: string;
  /** The folder of index.html, app.js and app.css (default dist/dashboard/). */
  assets?: URL;
  keepAliveMs?: number;
  maxStreamBufferBytes?: number;
  log?: Logger;
}

export interface Dashboard extends DashboardServer {
  hub: Hub;
  stream: SseClients;
}

export async function startDashboard(nc: NatsConnection, opts: DashboardOptions = {}): Promise<Dashboard> {
  const log = opts.log ?? silentLogger;
  const machines = await layoutMachines();
  const hub = new Hub(nc, { ...opts, log });
  const stream = new SseClients({ log, ...(opts.keepAliveMs ? { keepAliveMs: opts.keepAliveMs } : {}), ...(opts.maxStreamBufferBytes ? { maxBufferBytes: opts.maxStreamBufferBytes } : {}) });
  hub.onEvent((e) => stream.send(e));
  await hub.start();
  const assets = opts.assets ?? DEFAULT_ASSETS;
  const stop = async () => {
    stream.close();
    await hub.close();
  };
  const server = await serveDashboard({
    ...(opts.port === undefined ? {} : { port: opts.port }),
    ...(opts.host === undefined ? {} : { host: opts.host }),
    routes: {
      "/": assetRoute(assets, "index.html"),
      "/index.html": assetRoute(assets, "index.html"),
      "/app.js": assetRoute(assets, "app.js"),
      "/app.css": assetRoute(assets, "app.css"),
      "/api/machines": machinesRoute(machines),
      "/api/snapshot": snapshotRoute(hub),
      "/api/stream": stream.route,
      "/api/message": messageRoute(nc, hub.prefix),
      "/metrics": metricsRoute(nc, hub.prefix),
    },
    onClose: stop,
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { ...server, hub, stream };
}
