// GET /api/stream: server-sent events to every open page. Each event is
// `event: <type>` and `data: <json>`; a comment every 15 s keeps proxies
// and the browser from closing a quiet stream. A client that reads slower
// than the cluster changes is dropped once its unsent bytes pass a bound
// (it reconnects and starts again from /api/snapshot) rather than letting
// the server's memory grow with it.
import type { ServerResponse } from "node:http";
import type { Logger } from "../runtime/log.js";
import type { StreamEvent } from "./api.js";
import type { Route } from "./server.js";

export interface SseOptions {
  keepAliveMs?: number;
  /** Unsent bytes a client may have before it is dropped. */
  maxBufferBytes?: number;
  log: Logger;
}

export class SseClients {
  private readonly clients = new Set<ServerResponse>();
  private readonly keepAlive: NodeJS.Timeout;
  private readonly maxBufferBytes: number;
  /** Clients dropped for reading too slowly, since start. */
  droppedSlow = 0;

  constructor(private readonly opts: SseOptions) {
    this.maxBufferBytes = opts.maxBufferBytes ?? 1024 * 1024;
    this.keepAlive = setInterval(() => this.write(": keep-alive\n\n"), opts.keepAliveMs ?? 15_000);
    this.keepAlive.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  readonly route: Route = (req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" });
    res.write(": connected\n\n");
    this.clients.add(res);
    const forget = () => this.clients.delete(res);
    req.on("close", forget);
    res.on("error", forget);
  };

  send(e: StreamEvent): void {
    if (this.clients.size) this.write(`event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
  }

  private write(chunk: string): void {
    for (const res of this.clients) {
      if (res.writableLength > this.maxBufferBytes) {
        this.clients.delete(res);
        this.droppedSlow++;
        this.opts.log.warn("dashboard stream client dropped: it reads too slowly", { unsentBytes: res.writableLength, bound: this.maxBufferBytes });
        res.destroy();
        continue;
      }
      res.write(chunk);
    }
  }

  /** Ends every stream, so the server can close. */
  close(): void {
    clearInterval(this.keepAlive);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
