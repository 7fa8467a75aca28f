// rbus cluster's rows: NameServer data refreshed by each replica's status reply, read defensively.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { bytes, groupMaster, replicaViews } from "../../src/cli/replica-view.js";
import type { BrokerInfo } from "../../src/protocol/index.js";

const broker = (group: string, replica: number, more: Partial<BrokerInfo> = {}): BrokerInfo => ({
  cluster: "c", group, replica, role: replica === 0 ? "master" : "slave", term: 0, address: `rbus.broker.${group}.${replica}`,
  liveness: "alive", registeredAt: 1, lastHeartbeatAt: 2, topics: 1, ...more,
});

const test = suite("rbus cluster rows");

test("replicas from before replication: the end from store stats, no commit offset", () => {
  const rows = replicaViews([broker("a", 0)], new Map([["rbus.broker.a.0", { role: "master", term: 0, store: { maxOffset: 4096 } }]]));
  assert.equal(rows.map((r) => [r.role, r.term, r.commitOffset, r.end, r.lagBytes, r.answered]), [["master", 0, null, 4096, 0, true]]);
});

test("the status reply's role, term, commit and end win over the NameServer's heartbeat figures", () => {
  const brokers = [broker("a", 0, { term: 3, commitOffset: 10, end: 10 }), broker("a", 1, { term: 3, end: 5 }), broker("a", 2, { term: 3, end: 4 })];
  const statuses = new Map<string, unknown>([
    ["rbus.broker.a.0", { role: "slave", term: 4, commitOffset: 90, end: 100, followers: [] }],
    ["rbus.broker.a.1", { role: "master", term: 4, commitOffset: 100, end: 120, followers: [{ replica: 2, end: 100, lagBytes: 20, lastFetchAgoMs: 3 }] }],
  ]);
  const rows = replicaViews(brokers, statuses);
  assert.equal(rows.map((r) => [r.replica, r.role, r.term, r.commitOffset, r.end, r.lagBytes, r.answered]), [
    [0, "slave", 4, 90, 100, 20, true], // both answered: the two ends
    [1, "master", 4, 100, 120, 0, true],
    [2, "slave", 3, null, 4, 20, false], // did not answer: the master's follower report
  ]);
});

test("a nested replication status is read too", () => {
  const statuses = new Map<string, unknown>([
    ["rbus.broker.a.0", { replication: { role: "master", term: 2, commit: 50, end: 60, followers: [{ replica: 1, end: 40, lagBytes: 20, lastFetchAgoMs: 1 }] } }],
  ]);
  const rows = replicaViews([broker("a", 0), broker("a", 1, { lagBytes: 99 })], statuses);
  assert.equal(rows.map((r) => [r.role, r.term, r.commitOffset, r.end, r.lagBytes]), [["master", 2, 50, 60, 0], ["slave", 0, null, null, 20]]);
});

test("garbage in a status reply is ignored, not shown", () => {
  const statuses = new Map<string, unknown>([["rbus.broker.a.0", { role: "king", term: "7", end: Number.NaN, followers: "none" }]]);
  const [row] = replicaViews([broker("a", 0, { term: 1, lagBytes: 5 })], statuses);
  assert.equal([row!.role, row!.term, row!.end, row!.lagBytes], ["master", 1, null, 0]);
});

test("a slave's lag without any report is unknown; groups are sorted and kept apart", () => {
  const rows = replicaViews([broker("b", 1), broker("b", 0), broker("a", 0)], new Map());
  assert.equal(rows.map((r) => `${r.group}.${r.replica}:${r.lagBytes}`), ["a.0:0", "b.0:0", "b.1:null"]);
});

test("the group's master is the live replica claiming master with the highest term", () => {
  const rs = [
    { id: 0, role: "master", term: 3, liveness: "dead" },
    { id: 1, role: "master", term: 2, liveness: "alive" },
    { id: 2, role: "master", term: 1, liveness: "suspect" },
    { id: 3, role: "slave", term: 9, liveness: "alive" },
  ] as const;
  assert.is(groupMaster([...rs])?.id, 1);
  assert.is(groupMaster([rs[0], rs[3]]), undefined);
});

test("byte counts read as units", () => {
  assert.equal([bytes(null), bytes(0), bytes(1023), bytes(1536), bytes(5 * 1024 ** 3)], ["-", "0 B", "1023 B", "1.5 KiB", "5.0 GiB"]);
});

test.run();
