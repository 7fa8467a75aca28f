// Development only (not bundled, not shipped): the machines as the server
// lays them out, and a snapshot of a made-up cluster, for
// working on the page before a server answers. Run after `npx tsc`.
import { layoutMachines } from "../../../../dist/src/dashboard/layout.js";

/** The server's own layout of every machine. */
export const machines = () => layoutMachines();

const ns = ["ns-1", "ns-2"];
const groups = ["broker-a", "broker-b"];
const replicas = groups.flatMap((g) => [0, 1, 2].map((r) => ({ g, r, node: `${g}-${r}` })));
const consumers = ["billing@host-1", "billing@host-2"];

export function snapshot(now = Date.now()) {
  const nodes = [
    ...ns.map((name) => ({ name, kind: "nameserver", lastSeen: now })),
    ...replicas.map(({ g, r, node }) => ({ name: node, kind: "broker", group: g, replica: r, lastSeen: now })),
    ...consumers.map((name) => ({ name, kind: "consumer", consumerGroup: "billing", lastSeen: now })),
  ];
  const ev = (node, actor, machine, state, context) => ({ node, actor, machine, state, status: "active", event: "xstate.init", at: now - 60_000, ...(context ? { context } : {}) });
  const actors = [
    ...ns.flatMap((n) => [ev(n, n, "nameserver", "serving"), ...replicas.map(({ g, r }) => ev(n, `liveness-${g}.${r}`, "liveness", g === "broker-b" && r === 2 ? "dead" : g === "broker-a" && r === 1 ? "suspect" : "alive"))]),
    ...replicas.flatMap(({ g, r, node }) => [ev(node, "registration", "registration", "registered"), ev(node, "role", "role", r === 0 ? "master" : r === 2 && g === "broker-a" ? { candidate: "preVote" } : "slave", { term: 3, master: 0 })]),
    ...consumers.map((c) => ev(c, "rebalance", "rebalance", { running: { heartbeat: "waiting", balance: "balanced" } })),
  ];
  const transitions = Object.fromEntries(nodes.map((n) => [n.name, actors.filter((a) => a.node === n.name).map((a, i) => ({ ...a, event: i % 2 ? "TICK" : "HEARTBEAT", at: now - 30_000 + i * 1000 }))]));
  const brokers = replicas.map(({ g, r, node }) => ({
    node, group: g, replica: r, role: r === 0 ? "master" : "slave", term: 3,
    liveness: Object.fromEntries(ns.map((n) => [n, g === "broker-b" && r === 2 ? "dead" : "alive"])),
    ...(r ? { lagBytes: r * 1200 } : {}), commitOffset: 123456, end: 123456 + r,
    info: { cluster: "DefaultCluster", group: g, replica: r, role: r === 0 ? "master" : "slave", term: 3, address: `rbus.broker.${g}.${r}`, liveness: "alive", registeredAt: now - 1e6, lastHeartbeatAt: now - 2000, topics: 3 },
  }));
  const nameServers = ns.map((n) => ({ nameServer: n, startedAt: now - 1e6, brokers: 6, liveness: { alive: 4, suspect: 1, dead: 1 }, scanIntervalMs: 2000, suspectAfterMs: 8000, deadAfterMs: 20000 }));
  const topics = ["orders", "payments", "TBW102"].map((topic) => ({ topic, placements: groups.map((group) => ({ group, readQueues: 4, writeQueues: 4, perm: "rw" })) }));
  const consumerGroups = [{ consumerGroup: "billing", members: consumers.map((c, i) => ({ clientId: c, assigned: [`orders@broker-a:${i}`, `orders@broker-b:${i}`] })), lag: groups.flatMap((group, g) => [0, 1, 2, 3].map((q) => ({ consumerGroup: "billing", topic: "orders", group, queue: q, committed: 100, maxOffset: 100 + q * 3 + g, lag: q * 3 + g }))).concat([
    { consumerGroup: "billing", topic: "%RETRY%billing", group: "broker-a", queue: 0, committed: 40, maxOffset: 42, lag: 2 },
    { consumerGroup: "billing", topic: "%DLQ%billing", group: "broker-a", queue: 0, committed: 0, maxOffset: 3, lag: 3 },
  ]) }];
  const samples = [];
  let put = 0, pull = 0;
  for (let t = now - 600_000; t <= now; t += 2000) {
    put += 200 + Math.round(100 * Math.sin(t / 30000)); pull += 180;
    if (t === now - 300_000) put = 0; // a restart
    samples.push({ at: t, brokers: Object.fromEntries(replicas.map(({ node, r }) => [node, { put: r ? 0 : put, putBytes: put * 100, pull: r ? 0 : pull, pullBytes: pull * 100, role: r ? "slave" : "master", ...(r ? { lagBytes: Math.round(500 + 400 * Math.sin(t / 20000 + r)) } : {}) }])), groupLag: { billing: Math.round(20 + 15 * Math.sin(t / 40000)) } });
  }
  const kinds = ["liveness", "role", "store", "consumers", "reset", "dlq", "transaction"];
  const events = Array.from({ length: 35 }, (_, i) => ({ subject: `rbus.events.${kinds[i % kinds.length]}.broker-a`, kind: kinds[i % kinds.length], at: now - (35 - i) * 7000, data: { node: "broker-a-1", from: "alive", to: "suspect", i } }));
  return { at: now, prefix: "rbus", nodes, actors, transitions, cluster: { at: now, nameServers, brokers, topics, consumerGroups }, events, samples };
}
