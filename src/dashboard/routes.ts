// The dashboard's routes besides the stream: the page's files, the
// snapshot, message lookups and /metrics.
import { readFile } from "node:fs/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../client/admin.js";
import { answerMetrics } from "../metrics/server.js";
import { ErrorCode, RbusError, type WireMessage } from "../protocol/index.js";
import type { MessageReply } from "./api.js";
import type { Hub } from "./hub.js";
import { sendError, sendJson, type Route } from "./server.js";

/** Where `make build` bundles the page: dist/dashboard/, beside dist/src/. */
export const DEFAULT_ASSETS = new URL("../../dashboard/", import.meta.url);

const TYPES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/** One of the page's files, read at each request (a rebuild shows without a restart); missing: a page saying what to run. */
export function assetRoute(dir: URL, file: keyof typeof TYPES & string): Route {
  return async (_req, res) => {
    let body: Buffer;
    try {
      body = await readFile(new URL(file, dir));
    } catch {
      res.writeHead(500, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><title>dashboard not built</title><h1>The dashboard page is not built</h1>` +
        `<p>${file} is missing from ${dir.pathname}. Run <code>make build</code>, then reload.</p>\n`);
      return;
    }
    res.writeHead(200, { "content-type": TYPES[file]!, "cache-control": "no-cache" }).end(body);
  };
}

export function snapshotRoute(hub: Hub): Route {
  return (_req, res) => sendJson(res, 200, hub.snapshot());
}

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.TOPIC_NOT_EXIST]: 404,
  [ErrorCode.NO_RESPONDERS]: 503,
  [ErrorCode.TIMEOUT]: 503,
};

/** ?id=<msgId>, or ?topic=<t>&key=<k>: Admin.messageById / messagesByKey. */
export function messageRoute(nc: NatsConnection, prefix: string): Route {
  const admin = new Admin(nc, { prefix });
  return async (_req, res, url) => {
    const id = url.searchParams.get("id");
    const topic = url.searchParams.get("topic");
    const key = url.searchParams.get("key");
    if (!id && !(topic && key)) return sendError(res, 400, ErrorCode.BAD_REQUEST, "ask ?id=<message id>, or ?topic=<topic>&key=<key>");
    if (nc.isClosed()) return sendError(res, 503, "NATS_CLOSED", "the dashboard has no NATS connection");
    let messages: WireMessage[];
    try {
      messages = id ? [await admin.messageById(id)].filter(Boolean) : await admin.messagesByKey(topic!, key!);
    } catch (err) {
      const code = err instanceof RbusError ? err.code : ErrorCode.INTERNAL;
      return sendError(res, STATUS[code] ?? 503, code, err instanceof Error ? err.message : String(err));
    }
    if (messages.length === 0) return sendError(res, 404, ErrorCode.NOT_FOUND, id ? `no message ${id}` : `no message with key "${key}" in ${topic}`);
    const body: MessageReply = { messages };
    sendJson(res, 200, body);
  };
}

export function metricsRoute(nc: NatsConnection, prefix: string): Route {
  return (_req, res) => answerMetrics(nc, { prefix }, res);
}
