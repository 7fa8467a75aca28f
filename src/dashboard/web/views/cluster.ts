// The Cluster view: broker replicas by group (role, term, liveness per
// NameServer, replication lag, commit offset), then the NameServers.
import type { BrokerRow, ClusterView } from "../../api.js";
import { ago, bytes, h } from "../dom.js";
import { newestTerm, roleConflict } from "../roles.js";

export function drawCluster(el: HTMLElement, cluster: ClusterView): void {
  const nsIds = cluster.nameServers.map((n) => n.nameServer);
  const groups = new Map<string, BrokerRow[]>();
  for (const b of [...cluster.brokers].sort((a, b) => a.group.localeCompare(b.group) || a.replica - b.replica)) {
    (groups.get(b.group) ?? groups.set(b.group, []).get(b.group)!).push(b);
  }
  const head = h("thead", {}, h("tr", {}, ...["Replica", "Role", "Term", "Liveness", "Replication lag", "Commit offset", "Log end", "Last heartbeat", "Address"].map((t) => h("th", {}, t))));
  const bodies = [...groups].map(([group, rows]) =>
    h("tbody", { "data-group": group }, h("tr", { class: "group-row" }, h("th", { colspan: 9 }, group)), ...rows.map((b) => brokerRow(b, nsIds, newestTerm(rows, group)))),
  );
  const brokers = cluster.brokers.length
    ? h("table", { class: "brokers" }, head, ...bodies)
    : h("p", { class: "empty" }, "No broker has registered with a NameServer yet.");
  const ns = h(
    "table",
    { class: "nameservers" },
    h("thead", {}, h("tr", {}, ...["NameServer", "Up since", "Brokers", "Alive", "Suspect", "Dead", "Scan / suspect / dead after"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      ...cluster.nameServers.map((n) =>
        h(
          "tr",
          { "data-nameserver": n.nameServer },
          h("td", {}, n.nameServer),
          h("td", {}, ago(n.startedAt)),
          h("td", { class: "num" }, n.brokers),
          h("td", { class: "num live-alive" }, n.liveness.alive),
          h("td", { class: "num live-suspect" }, n.liveness.suspect),
          h("td", { class: "num live-dead" }, n.liveness.dead),
          h("td", {}, `${n.scanIntervalMs / 1000} s / ${n.suspectAfterMs / 1000} s / ${n.deadAfterMs / 1000} s`),
        ),
      ),
    ),
  );
  el.replaceChildren(h("h2", {}, "Brokers"), brokers, h("h2", {}, "NameServers"), cluster.nameServers.length ? ns : h("p", { class: "empty" }, "No NameServer answers."));
}

function brokerRow(b: BrokerRow, nsIds: string[], groupTerm: number | undefined): HTMLTableRowElement {
  const seen = nsIds.length ? nsIds : Object.keys(b.liveness);
  const liveness = seen.map((ns) => {
    const l = b.liveness[ns] ?? "unknown";
    return h("span", { class: `badge live-${l}`, "data-nameserver": ns, title: `as ${ns} sees it` }, `${ns}: ${l}`);
  });
  // The route's role first; the replica's own claim beside it where the two differ (a killed master until it is dead).
  const claimed = b.info.claimedRole;
  const conflict = roleConflict(b.role, claimed, b.term, groupTerm);
  return h(
    "tr",
    { "data-node": b.node, "data-role": b.role, ...(conflict ? { "data-claimed-role": claimed } : {}) },
    h("td", { class: "node-name" }, b.node),
    h(
      "td",
      { class: "role" },
      h("span", { class: `badge role-${b.role}`, title: "as the NameServers route it" }, b.role),
      conflict && h("span", { class: `badge claimed role-${claimed}`, title: conflict }, `claims ${claimed}`),
    ),
    h("td", { class: "term num" }, b.term),
    h("td", { class: "liveness" }, ...liveness),
    h("td", { class: "lag num" }, b.role === "master" ? "–" : bytes(b.lagBytes)),
    h("td", { class: "commit num" }, b.commitOffset ?? "–"),
    h("td", { class: "end num" }, b.end ?? "–"),
    h("td", {}, b.info.lastHeartbeatAt ? ago(b.info.lastHeartbeatAt) : "–"),
    h("td", { class: "address" }, b.info.address),
  );
}
