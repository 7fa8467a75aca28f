// The Topics view: every topic with its queues, and where they live.
import type { ClusterView } from "../../api.js";
import { h } from "../dom.js";

export function drawTopics(el: HTMLElement, cluster: ClusterView): void {
  const topics = [...cluster.topics].sort((a, b) => a.topic.localeCompare(b.topic));
  if (!topics.length) return void el.replaceChildren(h("p", { class: "empty" }, "No topics yet."));
  const table = h(
    "table",
    { class: "topics" },
    h("thead", {}, h("tr", {}, ...["Topic", "Queues (read / write)", "Where they live"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      ...topics.map((t) => {
        const read = t.placements.reduce((n, p) => n + p.readQueues, 0);
        const write = t.placements.reduce((n, p) => n + p.writeQueues, 0);
        return h(
          "tr",
          { "data-topic": t.topic },
          h("td", { class: "topic" }, t.topic),
          h("td", { class: "num" }, `${read} / ${write}`),
          h(
            "td",
            { class: "placements" },
            ...t.placements.map((p) =>
              h("span", { class: "badge placement", title: `perm ${p.perm}` }, `${p.group}: ${p.readQueues}r/${p.writeQueues}w ${p.perm}`),
            ),
          ),
        );
      }),
    ),
  );
  el.replaceChildren(h("h2", {}, `Topics (${topics.length})`), table);
}
