// The Topics view: every topic with its queues, and where they live.
import type { ClusterView } from "../../api.js";
import { h } from "../dom.js";

export function drawTopics(el: HTMLElement, cluster: ClusterView): void {
  // Where a group's queues live now: its master serves their writes.
  const masters = new Map(cluster.brokers.filter((b) => b.role === "master").map((b) => [b.group, b.node]));
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
              h(
                "span",
                { class: "badge placement", "data-group": p.group, title: `${p.readQueues} read and ${p.writeQueues} write queues, perm ${p.perm}` },
                `${p.group}: ${p.readQueues}r/${p.writeQueues}w ${p.perm}${masters.has(p.group) ? ` · master ${masters.get(p.group)!}` : " · no master"}`,
              ),
            ),
          ),
        );
      }),
    ),
  );
  el.replaceChildren(h("h2", {}, `Topics (${topics.length})`), table);
}
