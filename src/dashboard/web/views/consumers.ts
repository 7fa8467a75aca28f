// The Consumers view: each consumer group with its members, the queues
// each one holds, and the group's lag per queue; its retry topic's lag
// (messages handed back, due and not consumed yet) and its dead letters
// not resent are badges of their own.
import type { ClusterView, ConsumerGroupRow } from "../../api.js";
import { dlqTopic, retryTopic } from "../../../protocol/system-topics.js";
import { h } from "../dom.js";

export function drawConsumers(el: HTMLElement, cluster: ClusterView): void {
  const groups = [...cluster.consumerGroups].sort((a, b) => a.consumerGroup.localeCompare(b.consumerGroup));
  if (!groups.length) return void el.replaceChildren(h("p", { class: "empty" }, "No consumer groups yet."));
  el.replaceChildren(...groups.map(groupCard));
}

function groupCard(g: ConsumerGroupRow): HTMLElement {
  // dead letters are no backlog: nothing consumes them until they are resent
  const total = g.lag.reduce((n, q) => (q.topic === dlqTopic(g.consumerGroup) ? n : n + q.lag), 0);
  const lagOf = (topic: string) => g.lag.reduce((n, q) => (q.topic === topic ? n + q.lag : n), 0);
  const retrying = lagOf(retryTopic(g.consumerGroup));
  const dead = lagOf(dlqTopic(g.consumerGroup));
  const members = h(
    "table",
    { class: "members" },
    h("thead", {}, h("tr", {}, h("th", {}, "Member"), h("th", {}, "Assigned queues"))),
    h(
      "tbody",
      {},
      ...g.members.map((m) =>
        h("tr", { "data-client": m.clientId }, h("td", {}, m.clientId), h("td", { class: "queues" }, ...(m.assigned.length ? m.assigned.map((q) => h("span", { class: "badge queue" }, q)) : ["none"]))),
      ),
    ),
  );
  // Queue ids repeat in every broker group: the group tells them apart, when the server says it.
  const byGroup = g.lag.some((q) => q.group !== undefined);
  const lag = h(
    "table",
    { class: "lag" },
    h("thead", {}, h("tr", {}, ...["Topic", ...(byGroup ? ["Broker group"] : []), "Queue", "Committed", "Max offset", "Lag"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      ...[...g.lag]
        .sort((a, b) => a.topic.localeCompare(b.topic) || (a.group ?? "").localeCompare(b.group ?? "") || a.queue - b.queue)
        .map((q) =>
          h(
            "tr",
            { "data-topic": q.topic, "data-queue": q.queue, "data-group": q.group },
            h("td", {}, q.topic),
            byGroup && h("td", {}, q.group ?? "–"),
            h("td", { class: "num" }, q.queue),
            h("td", { class: "num" }, q.committed),
            h("td", { class: "num" }, q.maxOffset),
            h("td", { class: `num${q.lag > 0 ? " behind" : ""}` }, q.lag),
          ),
        ),
    ),
  );
  return h(
    "section",
    { class: "consumer-group", "data-group": g.consumerGroup },
    h("h2", {}, g.consumerGroup, h("span", { class: "badge" }, `${g.members.length} member${g.members.length === 1 ? "" : "s"}`), h("span", { class: `badge${total ? " behind" : ""}` }, `lag ${total}`),
      retrying > 0 && h("span", { class: "badge retry", title: "handed back by the listener, due again and not consumed yet" }, `retrying ${retrying}`),
      dead > 0 && h("span", { class: "badge dlq behind", title: "in the dead-letter topic, not resent (rbus dlq resend)" }, `dead letters ${dead}`)),
    h("div", { class: "split" }, members, g.lag.length ? lag : h("p", { class: "empty" }, "No committed offsets yet.")),
  );
}
