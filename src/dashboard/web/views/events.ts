// The Events view: rbus.events.> as a time line, newest first, each kind
// in its colour; a click opens the event's data.
import type { TimelineEvent } from "../../api.js";
import { clock, h } from "../dom.js";

/** At most this many drawn: the page keeps 500, a longer list only slows the view down. */
const SHOWN = 300;

export function drawEvents(el: HTMLElement, events: readonly TimelineEvent[]): void {
  if (!events.length) return void el.replaceChildren(h("p", { class: "empty" }, "No events yet."));
  const items = events
    .slice(-SHOWN)
    .reverse()
    .map((e) =>
      h(
        "li",
        { class: "event", "data-kind": e.kind },
        h(
          "details",
          { "data-key": `${e.at} ${e.subject}` },
          h("summary", {}, h("time", { datetime: new Date(e.at).toISOString() }, clock(e.at)), h("span", { class: `badge kind-${e.kind}` }, e.kind), h("span", { class: "subject" }, e.subject), h("span", { class: "gist" }, gist(e.data))),
          h("pre", {}, JSON.stringify(e.data, null, 2)),
        ),
      ),
    );
  // Keep open what the reader opened, across redraws.
  const open = new Set([...el.querySelectorAll<HTMLElement>("details[open]")].map((d) => d.dataset.key));
  for (const d of items.map((li) => li.querySelector("details")!)) if (open.has(d.dataset.key)) d.open = true;
  el.replaceChildren(h("ol", { class: "timeline" }, ...items));
}

/** Fields a line need not repeat: the time is shown, the type goes first. */
const SHOWN_APART = new Set(["at", "type"]);

/** One line of an event's data: its type, then its short scalar fields, key=value. */
function gist(data: unknown): string {
  if (data === null || typeof data !== "object") return String(data ?? "");
  const fields = data as Record<string, unknown>;
  const rest = Object.entries(fields)
    .filter(([k, v]) => !SHOWN_APART.has(k) && (v === null || ["string", "number", "boolean"].includes(typeof v)))
    .slice(0, 8)
    .map(([k, v]) => `${k}=${String(v)}`);
  return [typeof fields.type === "string" ? fields.type : "", ...rest].filter(Boolean).join("  ");
}
