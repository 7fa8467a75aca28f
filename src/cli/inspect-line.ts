// One line of `rbus inspect` per state change. XState's own event names
// (xstate.init, xstate.after.3000.role.candidate, …) say how the machine got
// there; they are shown in words unless --verbose asks for them as they are.
import type { InspectEvent } from "../runtime/inspect.js";

export function eventName(event: string, verbose: boolean): string {
  if (verbose || !event.startsWith("xstate.")) return `on ${event}`;
  const after = /^xstate\.after\.(\d+)\./.exec(event);
  if (after) return `after ${after[1]} ms`;
  if (event === "xstate.init") return "started";
  if (event === "xstate.stop") return "stopped";
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event);
  if (done) return `${done[1] === "done" ? "when" : "on error of"} ${done[2]}`;
  return "";
}

export function inspectLine(e: InspectEvent, verbose: boolean, tag = ""): string {
  const time = new Date(e.at).toISOString().slice(11, 23);
  const context = e.context ? ` (${Object.entries(e.context).map(([k, v]) => `${k} ${String(v)}`).join(", ")})` : "";
  const refresh = e.refresh ? " [refresh]" : "";
  const status = e.status === "active" ? "" : `${e.status} `;
  return `${time}  ${e.node.padEnd(12)} ${e.actor.padEnd(24)} ${JSON.stringify(e.state).padEnd(28)} ${status}${eventName(e.event, verbose)}${context}${refresh}${tag}`.trimEnd();
}
