import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildClusterInfo, buildRoute } from "../../machines/routes.js";
import type { BrokerEntry } from "../../machines/nameserver.js";
import type { Liveness, Role, TopicConfig } from "../../src/protocol/types.js";

function entry(group: string, replica: number, liveness: Liveness, topics: TopicConfig[], role: Role = "master"): BrokerEntry {
  return {
    registration: {
      cluster: "c",
      group,
      replica,
      role,
      term: 1,
      address: `rbus.broker.${group}.${replica}`,
      heartbeatIntervalMs: 30_000,
      topics,
      startedAt: 0,
    },
    liveness,
    registeredAt: 1,
    lastHeartbeatAt: 2,
    ref: undefined as never,
  };
}
const orders = (n: number): TopicConfig[] => [{ topic: "orders", readQueues: n, writeQueues: n, perm: "rw" }];

const test = suite("routes");

test("a topic's route lists every group serving it, with its replicas", () => {
  const route = buildRoute("ns", "orders", [
    entry("b", 0, "alive", orders(8)),
    entry("a", 1, "alive", orders(4), "slave"),
    entry("a", 0, "alive", orders(4)),
    entry("c", 0, "alive", []),
  ]);
  assert.equal(route?.queues.map((q) => `${q.group}:${q.writeQueues}`), ["a:4", "b:8"]);
  assert.equal(route?.groups.map((g) => `${g.group}:${g.replicas.map((r) => r.role).join(",")}`), ["a:master,slave", "b:master"]);
});

test("dead replicas leave the route; suspect ones stay, marked", () => {
  const route = buildRoute("ns", "orders", [entry("a", 0, "dead", orders(4)), entry("b", 0, "suspect", orders(4))]);
  assert.equal(route?.groups.map((g) => g.group), ["b"]);
  assert.is(route?.groups[0]?.replicas[0]?.liveness, "suspect");
});

test("no route for a topic nobody serves, or only dead brokers serve", () => {
  assert.is(buildRoute("ns", "orders", [entry("a", 0, "alive", [])]), undefined);
  assert.is(buildRoute("ns", "orders", [entry("a", 0, "dead", orders(4))]), undefined);
});

test("the master's queue counts win over a slave's stale copy", () => {
  const route = buildRoute("ns", "orders", [entry("a", 1, "alive", orders(2), "slave"), entry("a", 0, "alive", orders(16))]);
  assert.is(route?.queues[0]?.writeQueues, 16);
});

test("cluster info lists every broker, dead ones too, in order", () => {
  const info = buildClusterInfo("ns", [entry("b", 0, "dead", []), entry("a", 1, "alive", []), entry("a", 0, "suspect", orders(1))]);
  assert.equal(info.brokers.map((b) => `${b.group}.${b.replica}:${b.liveness}:${b.topics}`), ["a.0:suspect:1", "a.1:alive:0", "b.0:dead:0"]);
});

test.run();
