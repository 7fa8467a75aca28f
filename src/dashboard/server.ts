// The dashboard's HTTP side (node:http): the page's three files, the JSON
// of /api, the live stream, /metrics. Read-only: GET alone is answered,
// and every answer says the page may load nothing from elsewhere.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ErrorReply, MachinesReply } from "./api.js";

export const DEFAULT_DASHBOARD_PORT = 8090;

/** The page loads its script, style and data from this server alone; plots may be drawn as data: images. */
export const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

/** A route's answer: what it writes to `res` (it may keep it open, as the stream does). */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface DashboardServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }).end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body: ErrorReply = { error: { code, message } };
  sendJson(res, status, body);
}

/** The routes every dashboard has, whatever else it serves. */
export function machinesRoute(machines: MachinesReply): Route {
  const body = JSON.stringify(machines);
  return (_req, res) => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "max-age=60" }).end(body);
  };
}

export interface ServeOptions {
  port?: number;
  host?: string;
  routes: Record<string, Route>;
  /** Runs before the server stops listening: ends the streams that would keep it open. */
  onClose?: () => void | Promise<void>;
}

export async function serveDashboard(opts: ServeOptions): Promise<DashboardServer> {
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://dashboard");
    } catch {
      sendError(res, 400, "BAD_REQUEST", "the request's target is not a URL");
      return;
    }
    const route = opts.routes[url.pathname];
    if (req.method !== "GET") {
      res.setHeader("allow", "GET");
      sendError(res, 405, "METHOD_NOT_ALLOWED", `only GET is answered, not ${req.method}`);
      return;
    }
    if (!route) {
      sendError(res, 404, "NOT_FOUND", `no route ${url.pathname}`);
      return;
    }
    // a route that throws, at once or later, answers 500 rather than ending the server
    Promise.resolve().then(() => route(req, res, url)).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, "INTERNAL", err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? DEFAULT_DASHBOARD_PORT, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`,
    close: async () => {
      await opts.onClose?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
