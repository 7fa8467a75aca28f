// The page's side of /api/stream: server-sent events, one type per change.
// EventSource reconnects by itself; what was missed while the connection
// was down is not replayed, so after a reconnect the page reloads the
// snapshot (onResync) before taking events again.
import type { StreamEvent } from "../api.js";

export type Connection = "connecting" | "live" | "reconnecting";

const TYPES: ReadonlyArray<StreamEvent["type"]> = ["inspect", "event", "cluster", "nodes", "sample"];

export interface StreamHandlers {
  onEvent(e: StreamEvent): void;
  onStatus(c: Connection): void;
  /** Called on every open after the first: reload what the stream may have missed. */
  onResync(): void;
}

/** How long to wait before opening again when the browser gave up (the server answered with an error). */
const RETRY_MS = 3000;

export function openStream(url: string, handlers: StreamHandlers): void {
  let opened = false;
  const connect = () => {
    const source = new EventSource(url);
    source.addEventListener("open", () => {
      if (opened) handlers.onResync();
      opened = true;
      handlers.onStatus("live");
    });
    source.addEventListener("error", () => {
      handlers.onStatus(opened ? "reconnecting" : "connecting");
      if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      setTimeout(connect, RETRY_MS);
    });
    for (const type of TYPES) {
      source.addEventListener(type, (m) => {
        let data: unknown;
        try {
          data = JSON.parse((m as MessageEvent<string>).data);
        } catch {
          return; // a broken event is dropped; the next snapshot reload repairs what it would have said
        }
        handlers.onEvent({ type, data } as StreamEvent);
      });
    }
  };
  handlers.onStatus("connecting");
  connect();
}

/** GET a JSON route of the dashboard server; throws with the status for anything but 2xx. */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
