import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { buildClusterInfo, buildRoute } from "../../machines/routes.js";
import type { BrokerEntry } from "../../machines/nameserver.js";
import type { BrokerRegistration, Liveness, Role, TopicConfig } from "../../src/protocol/types.js";

function entry(
  group: string,
  replica: number,
  liveness: Liveness,
  topics: TopicConfig[],
  role: Role = "master",
  more: Partial<BrokerRegistration> = {},
): BrokerEntry {
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
      ...more,
    },
    liveness,
    fingerprint: "0123456789abcdef",
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

const repl = suite("routes of replicated groups");
const roles = (route: ReturnType<typeof buildRoute>) =>
  route?.groups.map((g) => g.replicas.map((r) => `${g.group}.${r.replica}:${r.role}@${r.term}`).join(" "));

repl("the master is the replica claiming master with the highest term; a lower claim is shown as a slave", () => {
  const route = buildRoute("ns", "orders", [
    entry("a", 0, "alive", orders(4), "master", { term: 3 }),
    entry("a", 1, "alive", orders(4), "master", { term: 4 }),
    entry("a", 2, "alive", orders(4), "slave", { term: 4 }),
  ]);
  assert.equal(roles(route), ["a.0:slave@3 a.1:master@4 a.2:slave@4"]);
});

repl("a deposed master's stale topic table does not win over the new master's", () => {
  const route = buildRoute("ns", "orders", [
    entry("a", 0, "alive", orders(2), "master", { term: 1 }),
    entry("a", 1, "alive", orders(8), "master", { term: 2 }),
  ]);
  assert.is(route?.queues[0]?.writeQueues, 8);
});

repl("a dead master's claim counts for nothing; a suspect one at the highest term stays master", () => {
  const route = buildRoute("ns", "orders", [
    entry("a", 0, "dead", orders(4), "master", { term: 9 }),
    entry("a", 1, "suspect", orders(4), "master", { term: 5 }),
    entry("a", 2, "alive", orders(4), "master", { term: 4 }),
  ]);
  assert.equal(roles(route), ["a.1:master@5 a.2:slave@4"]);
});

repl("slaves carry their lag: the master's follower report first, else the difference of the ends", () => {
  const route = buildRoute("ns", "orders", [
    entry("a", 0, "alive", orders(4), "master", {
      term: 2, end: 1000, commitOffset: 900, replicas: 3, masterReplica: 0,
      followers: [{ replica: 1, end: 900, lagBytes: 100, lastFetchAgoMs: 3 }],
    }),
    entry("a", 1, "alive", orders(4), "slave", { term: 2, end: 950, commitOffset: 900 }),
    entry("a", 2, "alive", orders(4), "slave", { term: 2, end: 400, commitOffset: 400 }),
  ]);
  const r = route!.groups[0]!.replicas;
  assert.equal(r.map((x) => [x.commitOffset, x.lagBytes]), [[900, undefined], [900, 100], [400, 600]]);
});

repl("cluster info shows role, the role claimed, term, commit offset and lag", () => {
  const info = buildClusterInfo("ns", [
    entry("a", 0, "alive", [], "master", { term: 1, end: 50, commitOffset: 50 }),
    entry("a", 1, "alive", [], "master", {
      term: 2, end: 80, commitOffset: 70, replicas: 2, masterReplica: 1,
      followers: [{ replica: 0, end: 50, lagBytes: 30, lastFetchAgoMs: 1200 }],
    }),
  ]);
  const [old, now] = info.brokers;
  assert.equal([old?.role, old?.claimedRole, old?.term, old?.lagBytes, old?.lastFetchAgoMs], ["slave", "master", 1, 30, 1200]);
  assert.equal([now?.role, now?.claimedRole, now?.commitOffset, now?.end, now?.replicas, now?.followers?.length], ["master", undefined, 70, 80, 2, 1]);
});

repl.run();
