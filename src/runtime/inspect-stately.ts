// RBUS_INSPECT=stately: the actors of this process also go to Stately's
// inspector (@statelyai/inspect) through its websocket inspector, which
// sends every actor, event and snapshot to a relay (`rbus inspect
// --stately` starts one: @statelyai/inspect/server) that shows them in
// Stately's inspector page. One websocket per process and URL, shared by
// all its actors; it reconnects by itself when the relay is not up yet and
// keeps the last events meanwhile.
import { createWebSocketInspector } from "@statelyai/inspect";
import type { InspectionEvent } from "xstate";
import { statelyUrl } from "./inspect-mode.js";

type StatelyInspector = ReturnType<typeof createWebSocketInspector>;

const open = new Map<string, StatelyInspector>();

/** The observer that sends to Stately's inspector at RBUS_INSPECT_URL (default ws://localhost:8080); says once where to look. */
export function statelyObserver(env: NodeJS.ProcessEnv = process.env): (e: InspectionEvent) => void {
  const { url } = statelyUrl(env);
  let inspector = open.get(url);
  if (!inspector) {
    inspector = createWebSocketInspector({ url });
    open.set(url, inspector);
    const page = url.replace(/^ws/, "http");
    process.stderr.write(
      `RBUS_INSPECT=stately: state machines go to Stately's inspector relay at ${url}; ` +
        `start one with \`rbus inspect --stately\` and open ${page} (RBUS_INSPECT_URL chooses another)\n`,
    );
  }
  const observer = inspector.inspect;
  return (e) => observer.next?.(e);
}

/** Closes every websocket opened for Stately's inspector (a process that ends by itself, and tests). */
export function stopStately(): void {
  for (const inspector of open.values()) inspector.stop();
  open.clear();
}
