// The Messages view: look a message up by its id, or by topic and key,
// through /api/message, and show what the broker stored.
import type { ErrorReply, MessageReply } from "../../api.js";
import type { WireMessage } from "../../../protocol/messages.js";
import { clock, h } from "../dom.js";

export function drawLookup(el: HTMLElement): void {
  const results = h("div", { class: "lookup-results", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "lookup" },
    h("fieldset", {}, h("legend", {}, "By message id"), h("label", {}, "Id ", h("input", { name: "id", type: "text", placeholder: "message id", autocomplete: "off", spellcheck: "false" }))),
    h(
      "fieldset",
      {},
      h("legend", {}, "Or by topic and key"),
      h("label", {}, "Topic ", h("input", { name: "topic", type: "text", placeholder: "topic", autocomplete: "off" })),
      h("label", {}, "Key ", h("input", { name: "key", type: "text", placeholder: "key", autocomplete: "off" })),
    ),
    h("button", { type: "submit" }, "Look up"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const id = String(data.get("id") ?? "").trim();
    const topic = String(data.get("topic") ?? "").trim();
    const key = String(data.get("key") ?? "").trim();
    const query = id ? new URLSearchParams({ id }) : new URLSearchParams({ topic, key });
    if (!id && !(topic && key)) return void results.replaceChildren(errorBox("BAD_QUERY", "Give a message id, or a topic and a key."));
    results.replaceChildren(h("p", { class: "empty" }, "Looking…"));
    void lookUp(query).then((nodes) => results.replaceChildren(...nodes));
  });
  el.replaceChildren(form, results);
}

async function lookUp(query: URLSearchParams): Promise<Node[]> {
  try {
    const res = await fetch(`/api/message?${query}`, { headers: { accept: "application/json" } });
    const body = (await res.json()) as MessageReply | ErrorReply;
    if ("error" in body) return [errorBox(body.error.code, body.error.message)];
    if (!body.messages.length) return [errorBox("NOT_FOUND", "No message matches.")];
    return [h("p", { class: "count" }, `${body.messages.length} message${body.messages.length === 1 ? "" : "s"}`), ...body.messages.map(messageCard)];
  } catch (e) {
    return [errorBox("UNREACHABLE", e instanceof Error ? e.message : String(e))];
  }
}

function errorBox(code: string, message: string): HTMLElement {
  return h("div", { class: "error", role: "alert" }, h("strong", {}, code), " ", message);
}

function messageCard(m: WireMessage): HTMLElement {
  const rows: Array<[string, string]> = [
    ["Message id", m.msgId],
    ["Topic", m.topic],
    ["Queue / offset", `${m.queueId} / ${m.queueOffset}`],
    ["Tags", m.tags || "–"],
    ["Keys", m.keys || "–"],
    ["Born", `${new Date(m.bornAt).toLocaleDateString()} ${clock(m.bornAt)}`],
    ["Stored", `${new Date(m.storedAt).toLocaleDateString()} ${clock(m.storedAt)}`],
    ...Object.entries(m.properties).map(([k, v]): [string, string] => [`property ${k}`, v]),
  ];
  return h(
    "article",
    { class: "message", "data-msg-id": m.msgId },
    h("dl", {}, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h3", {}, m.bodyEncoding === "base64" ? "Body (base64)" : "Body"),
    h("pre", { class: "body" }, m.body),
  );
}
